import { deliveryMessageId } from '../core/message/message-id.js';
import { emptyDeliveryCounts, type Delivery, type DeliveryCounts, type DeliveryResult, type DeliveryState, type SendLog } from '../delivery/send-log.js';
import { finishCampaign } from './campaigns.js';
import type { Db } from './db.js';

/**
 * The send log: one row per (campaign, address). The engine's rules, kept here in SQL:
 * - `sending` is committed before the message goes out, results after the server's reply;
 * - results are committed in small groups, together with the next claim (one fsync for both);
 * - a row still `sending` when a run starts was interrupted mid-send and becomes `unknown`.
 */

const registered = new WeakSet<Db>();
function registerFunctions(db: Db): void {
  if (registered.has(db)) return;
  // Not deterministic: a fresh random id per row (see deliveryMessageId), stored once and reused by every retry.
  db.function('fw_message_id', { deterministic: false }, (slug, from) => deliveryMessageId(String(slug), String(from)));
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
       SELECT @campaign, id, email, name, 'pending', fw_message_id(@slug, @from), @at, @at FROM subscribers
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

/** A campaign's send log counted by state: the one query `send`, `status` and `schedule list` share. */
export function countDeliveries(db: Db, campaignId: number): DeliveryCounts {
  const counts = emptyDeliveryCounts();
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

/** SQLite reports a full disk (or a database at its max_page_count) as SQLITE_FULL. */
function isOutOfSpace(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_FULL';
}

/**
 * The send log of one campaign for the run that holds its lock. SQLite has one writer at a time, so
 * the run walks the rows in id order behind a cursor of its own.
 */
export class SqliteSendLog implements SendLog {
  private readonly results: DeliveryResult[] = [];
  private cursor = 0;
  private readonly selectNext;
  private readonly toSending;
  private readonly toSkipped;
  private readonly writeResult;
  private readonly writeStateOnly;
  private readonly releaseOne;

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
    // A row that only changes its state does not grow, so this may still fit where nothing else
    // does. A deferred row goes back to pending: it needs no retry time to be sent by any later run.
    this.writeStateOnly = db.prepare(`UPDATE deliveries SET state = CASE @state WHEN 'deferred' THEN 'pending' ELSE @state END WHERE id = @id AND state = 'sending'`);
    this.releaseOne = db.prepare(`UPDATE deliveries SET state = @state, attempts = attempts - 1, updated_at = @at WHERE id = @id AND state = 'sending'`);
  }

  counts(): DeliveryCounts {
    return countDeliveries(this.db, this.campaignId);
  }

  claim(again: readonly Delivery[], fresh: number, now: Date): { started: Delivery[]; skipped: Delivery[]; exhausted: boolean } {
    const at = now.toISOString();
    const claimed = this.db
      .transaction(() => {
        this.writeResults();
        const next = fresh > 0 ? (this.selectNext.all(this.campaignId, this.cursor, fresh) as Delivery[]) : [];
        const started: Delivery[] = [];
        const skipped: Delivery[] = [];
        for (const row of [...again, ...next]) {
          if (this.toSending.run({ id: row.id, state: row.state, at }).changes === 1) started.push({ ...row, attempts: row.attempts + 1 });
          else if (this.toSkipped.run({ id: row.id, state: row.state, at }).changes === 1) skipped.push(row);
        }
        return { started, skipped, next };
      })
      .immediate();
    // Only a committed claim moves the cursor: rows of a claim that failed are still to send.
    const last = claimed.next.at(-1);
    if (last) this.cursor = last.id;
    return { started: claimed.started, skipped: claimed.skipped, exhausted: claimed.next.length < fresh };
  }

  record(result: DeliveryResult): void {
    this.results.push(result);
  }

  get unflushed(): number {
    return this.results.length;
  }

  flush(): void {
    if (!this.results.length) return;
    try {
      this.db.transaction(() => this.writeResults()).immediate();
    } catch (error) {
      if (!isOutOfSpace(error)) throw error;
      try {
        this.db
          .transaction(() => {
            for (const r of this.results) this.writeStateOnly.run({ id: r.id, state: r.state });
            this.results.length = 0;
          })
          .immediate();
      } catch {
        // Not even that fits: these rows stay `sending`, and the next run reports them unknown.
      }
      throw error;
    }
  }

  release(rows: readonly Delivery[], now: Date): void {
    if (!rows.length) return;
    const at = now.toISOString();
    this.db.transaction(() => {
      for (const row of rows) this.releaseOne.run({ id: row.id, state: row.state, at });
    })();
  }

  finish(now: Date): boolean {
    return finishCampaign(this.db, this.campaignId, now);
  }

  private writeResults(): void {
    for (const r of this.results) {
      this.writeResult.run({ id: r.id, state: r.state, code: r.code ?? null, reply: r.reply.slice(0, 1000), at: r.at.toISOString(), next: r.nextAttemptAt ? r.nextAttemptAt.toISOString() : null });
    }
    this.results.length = 0;
  }
}
