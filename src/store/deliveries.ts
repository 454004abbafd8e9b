import { deliveryMessageId } from '../core/message/message-id.js';
import type { Db } from './db.js';

/**
 * The send log: one row per (campaign, address). The engine's rules, kept here in SQL:
 * - `sending` is committed before the message goes out, results after the server's reply;
 * - results are committed in small groups, together with the next claim (one fsync for both);
 * - a row still `sending` when a run starts was interrupted mid-send and becomes `unknown`.
 */
export type DeliveryState = 'pending' | 'sending' | 'sent' | 'deferred' | 'failed' | 'unknown' | 'skipped';
export type ResultState = 'sent' | 'deferred' | 'failed' | 'unknown';

export interface Delivery {
  id: number;
  subscriberId: number | null;
  email: string;
  name: string | null;
  state: DeliveryState;
  attempts: number;
  messageId: string;
}

export interface DeliveryResult {
  id: number;
  state: ResultState;
  code: number | undefined;
  reply: string;
  at: Date;
  /** For `deferred`: when this run tries again; null when only a later run will. */
  nextAttemptAt?: Date | null;
}

const registered = new WeakSet<Db>();
function registerFunctions(db: Db): void {
  if (registered.has(db)) return;
  db.function('fw_message_id', { deterministic: true }, (slug, email, from) => deliveryMessageId(String(slug), String(email), String(from)));
  registered.add(db);
}

/**
 * Takes the campaign's recipient list: a pending delivery for every active subscriber, in one
 * statement (the list is never loaded into memory). Only the first run of a campaign takes it: a
 * resumed send, or dispatch retrying deferred rows days later, must not mail an old issue to people
 * who subscribed after it went out. One statement, so a crash leaves all of the list or none of it.
 */
export function snapshotDeliveries(db: Db, campaign: { id: number; slug: string }, fromEmail: string, now: Date): number {
  registerFunctions(db);
  const at = now.toISOString();
  return db
    .prepare(
      `INSERT OR IGNORE INTO deliveries (campaign_id, subscriber_id, email, name, state, message_id, created_at, updated_at)
       SELECT @campaign, id, email, name, 'pending', fw_message_id(@slug, email, @from), @at, @at FROM subscribers
       WHERE status = 'active' AND NOT EXISTS (SELECT 1 FROM deliveries WHERE campaign_id = @campaign)
       ORDER BY id`,
    )
    .run({ campaign: campaign.id, slug: campaign.slug, from: fromEmail, at }).changes;
}

/**
 * better-sqlite3 builds SQLite with a 16 MB page cache, which a send fills as it walks a long list:
 * memory would then grow with the list up to that size. The send touches each row a few times in
 * id order, so a small cache costs nothing measurable and keeps memory flat.
 */
export function limitPageCache(db: Db): void {
  db.pragma('cache_size = -2000');
}

/** Rows a crashed run left in `sending`: they may have been delivered. Call only while holding the campaign lock. */
export function markInterruptedUnknown(db: Db, campaignId: number, now: Date): number {
  return db
    .prepare(`UPDATE deliveries SET state = 'unknown', last_code = NULL, last_reply = 'interrupted while sending (the previous run stopped)', updated_at = ? WHERE campaign_id = ? AND state = 'sending'`)
    .run(now.toISOString(), campaignId).changes;
}

export function countDeliveries(db: Db, campaignId: number): Record<DeliveryState, number> {
  const counts: Record<DeliveryState, number> = { pending: 0, sending: 0, sent: 0, deferred: 0, failed: 0, unknown: 0, skipped: 0 };
  for (const row of db.prepare('SELECT state, COUNT(*) AS n FROM deliveries WHERE campaign_id = ? GROUP BY state').all(campaignId) as { state: DeliveryState; n: number }[]) {
    counts[row.state] = row.n;
  }
  return counts;
}

/**
 * Who a send would go to now, without writing anything (for --dry-run): the active subscribers when
 * the campaign has no list yet (see snapshotDeliveries), otherwise its rows still to send.
 */
export function previewRecipients(db: Db, campaignId: number | undefined, retryUnknown: boolean, sample: number): { count: number; sample: { email: string; name: string | null }[] } {
  const open = retryUnknown ? `'pending', 'sending', 'deferred', 'unknown'` : `'pending', 'deferred'`;
  const params = { campaign: campaignId ?? -1 };
  const hasList = db.prepare('SELECT 1 FROM deliveries WHERE campaign_id = @campaign LIMIT 1').get(params) !== undefined;
  const from = hasList
    ? `deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.campaign_id = @campaign AND d.state IN (${open}) AND s.status = 'active'`
    : `subscribers s WHERE s.status = 'active'`;
  const { n } = db.prepare(`SELECT COUNT(*) AS n FROM ${from}`).get(params) as { n: number };
  const rows = db.prepare(`SELECT s.email, s.name FROM ${from} ORDER BY s.id LIMIT ${Math.max(0, Math.floor(sample))}`).all(params) as { email: string; name: string | null }[];
  return { count: n, sample: rows };
}

/** The send log of one campaign for the run that holds its lock. */
export class DeliveryLog {
  private readonly results: DeliveryResult[] = [];
  private readonly selectNext;
  private readonly toSending;
  private readonly toSkipped;
  private readonly writeResult;
  private readonly revertOne;

  constructor(
    private readonly db: Db,
    private readonly campaignId: number,
    retryUnknown: boolean,
  ) {
    const claimable = retryUnknown ? `'pending', 'deferred', 'unknown'` : `'pending', 'deferred'`;
    this.selectNext = db.prepare(
      `SELECT id, subscriber_id AS subscriberId, email, name, state, attempts, message_id AS messageId FROM deliveries
       WHERE campaign_id = ? AND state IN (${claimable}) AND id > ? ORDER BY id LIMIT ?`,
    );
    // The subscriber is checked in the same statement that starts the delivery: whoever
    // unsubscribes before their message starts is skipped, even in the middle of a run.
    this.toSending = db.prepare(
      `UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = @at
       WHERE id = @id AND state = @state AND (SELECT status FROM subscribers WHERE id = deliveries.subscriber_id) = 'active'`,
    );
    this.toSkipped = db.prepare(
      `UPDATE deliveries SET state = 'skipped', updated_at = @at,
         last_reply = CASE WHEN subscriber_id IS NULL THEN 'subscriber removed before sending' ELSE 'subscriber ' || (SELECT status FROM subscribers WHERE id = deliveries.subscriber_id) || ' before sending' END
       WHERE id = @id AND state = @state`,
    );
    this.writeResult = db.prepare(
      `UPDATE deliveries SET state = @state, last_code = @code, last_reply = @reply, updated_at = @at, next_attempt_at = @next,
         sent_at = CASE WHEN @state = 'sent' THEN @at ELSE sent_at END
       WHERE id = @id AND state = 'sending'`,
    );
    this.revertOne = db.prepare(`UPDATE deliveries SET state = @state, attempts = attempts - 1, updated_at = @at WHERE id = @id AND state = 'sending'`);
  }

  /** The next rows after `afterId` that this run may send, in id order. */
  next(afterId: number, limit: number): Delivery[] {
    return this.selectNext.all(this.campaignId, afterId, limit) as Delivery[];
  }

  /**
   * Commits, in one transaction, the results recorded so far and `sending` for these rows.
   * Returns the rows to send now; the others were skipped (unsubscribed or removed meanwhile).
   */
  begin(rows: readonly Delivery[], now: Date): { started: Delivery[]; skipped: Delivery[] } {
    const at = now.toISOString();
    return this.db
      .transaction(() => {
        this.writeResults();
        const started: Delivery[] = [];
        const skipped: Delivery[] = [];
        for (const row of rows) {
          if (this.toSending.run({ id: row.id, state: row.state, at }).changes === 1) started.push({ ...row, attempts: row.attempts + 1 });
          else if (this.toSkipped.run({ id: row.id, state: row.state, at }).changes === 1) skipped.push(row);
        }
        return { started, skipped };
      })
      .immediate();
  }

  /** Queues a result; it is committed with the next begin() or flush(). */
  record(result: DeliveryResult): void {
    this.results.push(result);
  }

  get unflushed(): number {
    return this.results.length;
  }

  flush(): void {
    if (this.results.length) this.db.transaction(() => this.writeResults()).immediate();
  }

  /** Rows that were marked `sending` but never reached the server (the run aborted): back to where they were. */
  revert(rows: readonly Delivery[], now: Date): void {
    const at = now.toISOString();
    this.db.transaction(() => {
      this.writeResults();
      for (const row of rows) this.revertOne.run({ id: row.id, state: row.state, at });
    })();
  }

  private writeResults(): void {
    for (const r of this.results) {
      this.writeResult.run({ id: r.id, state: r.state, code: r.code ?? null, reply: r.reply.slice(0, 1000), at: r.at.toISOString(), next: r.nextAttemptAt ? r.nextAttemptAt.toISOString() : null });
    }
    this.results.length = 0;
  }
}
