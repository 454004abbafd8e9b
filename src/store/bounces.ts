import { existsSync, readFileSync } from 'node:fs';
import { openSqlite } from './sqlite.js';
import { statement, type Db } from './db.js';

/**
 * Bounces and complaints in the store: which delivery a returned message is about, and what it
 * does to the subscriber, kept with its evidence (code, diagnostic, the bounce's Message-ID,
 * time). The policy lives here, in one transaction per batch of events:
 * - a hard bounce sets an active subscriber to `bounced` at once;
 * - a soft bounce counts: `softLimit` consecutive issues with a soft bounce and no delivery in
 *   between set the subscriber to `bounced`;
 * - a complaint unsubscribes at once (status_reason `complaint`).
 * Every event is stored once per (returned message, address): scanning a message again changes nothing.
 */

export interface BouncedDelivery {
  deliveryId: number;
  email: string;
  subscriberId: number | null;
  /** The issue's slug. */
  issue: string;
}

export type BounceDecision = 'bounced' | 'counted' | 'unsubscribed' | 'none';

export interface BounceEvent {
  messageKey: string;
  address: string;
  kind: 'bounce' | 'complaint';
  class: 'hard' | 'soft' | null;
  status: string | null;
  reason: string;
  diagnostic: string;
  delivery: BouncedDelivery;
  matchedBy: 'verp' | 'message-id';
  source: string;
}

export interface RecordedEvent {
  /** False when this (message, address) was recorded by an earlier scan: nothing changed. */
  recorded: boolean;
  decision: BounceDecision;
}

/**
 * Opens an existing store without writing to it (for --dry-run); undefined when there is none.
 * SQLite opens a WAL database read-only only by creating its -wal and -shm files: when they are
 * not there (no other process has the store open), the file is read into memory instead, so that
 * a dry run leaves the folder exactly as it was.
 */
export function openStoreReadOnly(file: string): Db | undefined {
  if (!existsSync(file)) return undefined;
  if (existsSync(`${file}-wal`) && existsSync(`${file}-shm`)) return openSqlite(file, { readonly: true, fileMustExist: true, timeout: 10_000 });
  const image = readFileSync(file);
  // In memory there is no WAL: mark the image as a rollback-journal database (header bytes 18-19).
  if (image.length > 19 && image[18] === 2) image[18] = image[19] = 1;
  return openSqlite(image, { readonly: true });
}

const DELIVERY_COLUMNS = 'd.id AS deliveryId, d.email AS email, d.subscriber_id AS subscriberId, c.slug AS issue';

export function deliveryById(db: Db, id: number): BouncedDelivery | undefined {
  return statement(db, `SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id WHERE d.id = ?`).get(id) as BouncedDelivery | undefined;
}

/** The delivery that was sent with this Message-ID (given without angle brackets). */
export function deliveryByMessageId(db: Db, messageId: string): BouncedDelivery | undefined {
  return statement(db, `SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id WHERE d.message_id = ? ORDER BY d.id LIMIT 1`).get(`<${messageId}>`) as BouncedDelivery | undefined;
}

/** Records events and applies the policy, all in one transaction. */
export function recordBounceEvents(db: Db, events: readonly BounceEvent[], options: { softLimit: number; now: Date }): RecordedEvent[] {
  const at = options.now.toISOString();
  const insert = statement(
    db,
    `INSERT OR IGNORE INTO bounce_events (message_key, address, kind, class, status, reason, diagnostic, delivery_id, subscriber_id, matched_by, decision, source, created_at)
     VALUES (@messageKey, @address, @kind, @class, @status, @reason, @diagnostic, @deliveryId, @subscriberId, @matchedBy, 'none', @source, @at)`,
  );
  const setDecision = statement(db, 'UPDATE bounce_events SET decision = ? WHERE id = ?');
  const toBounced = statement(db, `UPDATE subscribers SET status = 'bounced', status_reason = ?, unsubscribed_at = COALESCE(unsubscribed_at, @at), updated_at = @at WHERE id = @id AND status = 'active'`);
  const toUnsubscribed = statement(db, `UPDATE subscribers SET status = 'unsubscribed', status_reason = 'complaint', unsubscribed_at = COALESCE(unsubscribed_at, @at), updated_at = @at WHERE id = @id AND status <> 'unsubscribed'`);
  return db
    .transaction(() =>
      events.map((event): RecordedEvent => {
        const subscriberId = event.delivery.subscriberId;
        const { changes, lastInsertRowid } = insert.run({
          messageKey: event.messageKey,
          address: event.address,
          kind: event.kind,
          class: event.class,
          status: event.status,
          reason: event.reason,
          diagnostic: event.diagnostic.slice(0, 1000),
          deliveryId: event.delivery.deliveryId,
          subscriberId,
          matchedBy: event.matchedBy,
          source: event.source,
          at,
        });
        if (changes === 0) return { recorded: false, decision: 'none' };
        let decision: BounceDecision = 'none';
        if (subscriberId !== null) {
          if (event.kind === 'complaint') {
            if (toUnsubscribed.run({ id: subscriberId, at }).changes) decision = 'unsubscribed';
          } else if (event.class === 'hard') {
            if (toBounced.run('hard-bounce', { id: subscriberId, at }).changes) decision = 'bounced';
          } else {
            decision = softStreak(db, subscriberId, event.delivery.deliveryId) >= options.softLimit && toBounced.run('soft-bounces', { id: subscriberId, at }).changes ? 'bounced' : 'counted';
          }
        }
        setDecision.run(decision, lastInsertRowid);
        return { recorded: true, decision };
      }),
    )
    .immediate();
}

/**
 * How many consecutive issues, around this delivery, the subscriber's mail soft-bounced with no
 * delivery in between: a sent delivery without a bounce ends the run. Deliveries from before a
 * reactivation do not count.
 */
function softStreak(db: Db, subscriberId: number, deliveryId: number): number {
  const rows = statement(
    db,
    `SELECT d.id, EXISTS (SELECT 1 FROM bounce_events b WHERE b.delivery_id = d.id AND b.kind = 'bounce') AS bounced
       FROM deliveries d LEFT JOIN bounce_resets r ON r.subscriber_id = d.subscriber_id
       WHERE d.subscriber_id = ? AND (d.state = 'sent' OR d.id = ?) AND (r.reset_at IS NULL OR d.created_at > r.reset_at)
       ORDER BY d.id`,
  ).all(subscriberId, deliveryId) as { id: number; bounced: number }[];
  const at = rows.findIndex((r) => r.id === deliveryId);
  if (at < 0) return 0;
  let run = 1;
  for (let i = at - 1; i >= 0 && rows[i]?.bounced; i--) run++;
  for (let i = at + 1; i < rows.length && rows[i]?.bounced; i++) run++;
  return run;
}

export interface BounceHistoryEntry {
  at: string;
  issue: string;
  kind: 'bounce' | 'complaint';
  class: 'hard' | 'soft' | null;
  status: string | null;
  reason: string;
  diagnostic: string | null;
  decision: BounceDecision;
  messageKey: string;
}

/** A subscriber's bounces and complaints, oldest first. */
export function bounceHistory(db: Db, subscriberId: number): BounceHistoryEntry[] {
  return db
    .prepare(
      `SELECT b.created_at AS at, c.slug AS issue, b.kind, b.class, b.status, b.reason, b.diagnostic, b.decision, b.message_key AS messageKey
       FROM bounce_events b JOIN deliveries d ON d.id = b.delivery_id JOIN campaigns c ON c.id = d.campaign_id
       WHERE b.subscriber_id = ? ORDER BY b.id`,
    )
    .all(subscriberId) as BounceHistoryEntry[];
}

/** Deliveries of a campaign that bounced (hard or soft) and that drew a complaint. */
export function campaignBounceCounts(db: Db, campaignSlug: string): { bounced: number; complained: number } {
  const row = db
    .prepare(
      `SELECT COUNT(DISTINCT CASE WHEN b.kind = 'bounce' THEN b.delivery_id END) AS bounced,
              COUNT(DISTINCT CASE WHEN b.kind = 'complaint' THEN b.delivery_id END) AS complained
       FROM bounce_events b JOIN deliveries d ON d.id = b.delivery_id JOIN campaigns c ON c.id = d.campaign_id
       WHERE c.slug = ?`,
    )
    .get(campaignSlug) as { bounced: number; complained: number };
  return row;
}

/** After a bounced subscriber is reactivated by hand, earlier soft bounces no longer count toward the limit. */
export function resetBounceCount(db: Db, subscriberId: number, now: Date): void {
  db.transaction(() => {
    db.prepare('INSERT OR REPLACE INTO bounce_resets (subscriber_id, reset_at) VALUES (?, ?)').run(subscriberId, now.toISOString());
    db.prepare('UPDATE subscribers SET status_reason = NULL WHERE id = ?').run(subscriberId);
  })();
}
