import type { SubscriberStatus } from '../core/subscriber-csv.js';
import { statement, type Db } from './db.js';
import type { Subscriber } from './subscribers.js';

/**
 * Sign-ups through the form of `serve`: one row per accepted submission, which is at once the
 * consent record (when, from which page, a keyed hash of the IP, the promise the form showed, when
 * confirmed) and the confirmation email's place in the outbox (queued -> sending -> sent | deferred
 * | failed | unknown | skipped, the send log's rules: `sending` is committed before the SMTP
 * transaction, so a crash leaves `unknown`, never a second email). The per-IP limit counts rows of
 * signup_attempts; the per-address limit counts the address's sign-ups.
 */

export type SignupMailState = 'queued' | 'sending' | 'sent' | 'deferred' | 'failed' | 'unknown' | 'skipped';
export type OptOutStatus = Extract<SubscriberStatus, 'unsubscribed' | 'bounced'>;

export interface Signup {
  id: number;
  subscriberId: number;
  email: string;
  name: string | null;
  previousStatus: OptOutStatus | null;
  sourcePage: string;
  ipHash: string;
  promise: string;
  requestedAt: string;
  expiresAt: string;
  confirmedAt: string | null;
  mailState: SignupMailState;
  mailAttempts: number;
  mailDueAt: string | null;
  mailReply: string | null;
  mailSentAt: string | null;
}

const SIGNUP_COLUMNS = `id, subscriber_id AS subscriberId, email, name, previous_status AS previousStatus, source_page AS sourcePage,
  ip_hash AS ipHash, promise, requested_at AS requestedAt, expires_at AS expiresAt, confirmed_at AS confirmedAt,
  mail_state AS mailState, mail_attempts AS mailAttempts, mail_due_at AS mailDueAt, mail_reply AS mailReply, mail_sent_at AS mailSentAt`;

/** Runs `work` in one IMMEDIATE transaction: many sign-ups share one commit (one fsync). */
export function inSignupTransaction<T>(db: Db, work: () => T): T {
  return db.transaction(work).immediate();
}

/**
 * Like inSignupTransaction, but the commit does not wait for the disk (synchronous=NORMAL for
 * this one commit; WAL keeps it atomic and safe from a crash of the process). For the form's
 * submissions only: a power cut may forget the last moments of sign-ups, as if they had not been
 * sent, while the send log, confirmations and unsubscribes keep waiting for the disk.
 */
export function inUnsyncedTransaction<T>(db: Db, work: () => T): T {
  db.pragma('synchronous = NORMAL');
  try {
    return db.transaction(work).immediate();
  } finally {
    db.pragma('synchronous = FULL');
  }
}

// ---------------------------------------------------------------------------------------------
// Limits

export function countIpAttempts(db: Db, ipKey: string, since: Date): number {
  return (statement(db, 'SELECT COUNT(*) AS n FROM signup_attempts WHERE ip_key = ? AND at >= ?').get(ipKey, since.toISOString()) as { n: number }).n;
}

export function recordIpAttempt(db: Db, ipKey: string, at: Date): void {
  statement(db, 'INSERT INTO signup_attempts (ip_key, at) VALUES (?, ?)').run(ipKey, at.toISOString());
}

/** Attempts older than the window count for nothing: the table stays as small as ten minutes of traffic. */
export function pruneIpAttempts(db: Db, before: Date): number {
  return statement(db, 'DELETE FROM signup_attempts WHERE at < ?').run(before.toISOString()).changes;
}

/** How many confirmation emails the address was given since `since`, and when the latest was. */
export function recentSignups(db: Db, email: string, since: Date): { count: number; latest: string | null } {
  return statement(db, 'SELECT COUNT(*) AS count, MAX(requested_at) AS latest FROM signups WHERE email = ? AND requested_at >= ?').get(email, since.toISOString()) as {
    count: number;
    latest: string | null;
  };
}

// ---------------------------------------------------------------------------------------------
// Recording a sign-up

export interface NewSignup {
  email: string;
  name: string | undefined;
  sourcePage: string;
  ipHash: string;
  promise: string;
  at: Date;
  expiresAt: Date;
}

/**
 * Makes `existing` (or a new row for the address) pending and records the sign-up with its
 * confirmation email queued. Never call it for an active subscriber: they stay as they are.
 * The form's name is kept on the sign-up and reaches the subscriber only at confirmation, so a
 * stranger's submission cannot rename anyone.
 */
export function recordSignup(db: Db, existing: Subscriber | undefined, input: NewSignup): { subscriberId: number; signupId: number } {
  if (existing?.status === 'active') throw new Error('recordSignup: an active subscriber is never made pending');
  const at = input.at.toISOString();
  let subscriberId: number;
  let previous: OptOutStatus | null;
  if (!existing) {
    const { lastInsertRowid } = statement(db, "INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, ?, 'pending', 'signup', ?, ?)").run(
      input.email,
      input.name ?? null,
      at,
      at,
    );
    subscriberId = Number(lastInsertRowid);
    previous = null;
  } else {
    subscriberId = existing.id;
    previous =
      existing.status === 'pending'
        ? // Still pending from an earlier sign-up: what that one took them from is what purge restores.
          ((statement(db, 'SELECT previous_status AS p FROM signups WHERE subscriber_id = ? ORDER BY id DESC LIMIT 1').get(existing.id) as { p: OptOutStatus | null } | undefined)?.p ?? null)
        : (existing.status as OptOutStatus);
    statement(db, "UPDATE subscribers SET status = 'pending', updated_at = ? WHERE id = ?").run(at, existing.id);
  }
  const { lastInsertRowid } = statement(
    db,
    `INSERT INTO signups (subscriber_id, email, name, previous_status, source_page, ip_hash, promise, requested_at, expires_at, mail_due_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(subscriberId, input.email, input.name ?? null, previous, input.sourcePage, input.ipHash, input.promise, at, input.expiresAt.toISOString(), at);
  return { subscriberId, signupId: Number(lastInsertRowid) };
}

// ---------------------------------------------------------------------------------------------
// Confirmation

export interface SignupToConfirm {
  id: number;
  subscriberId: number;
  email: string;
  expiresAt: string;
  confirmedAt: string | null;
  /** The subscriber's status now. */
  status: SubscriberStatus;
}

export function signupToConfirm(db: Db, signupId: number): SignupToConfirm | undefined {
  return statement(
    db,
    `SELECT g.id, g.subscriber_id AS subscriberId, g.email, g.expires_at AS expiresAt, g.confirmed_at AS confirmedAt, s.status
         FROM signups g JOIN subscribers s ON s.id = g.subscriber_id WHERE g.id = ?`,
  ).get(signupId) as SignupToConfirm | undefined;
}

/** Pending -> active with the name from the form, and the confirmation time on the sign-up. False when it was not pending. */
export function activateSignup(db: Db, signup: { id: number; subscriberId: number }, at: Date): boolean {
  const when = at.toISOString();
  const changed = statement(
    db,
    `UPDATE subscribers SET status = 'active', unsubscribed_at = NULL, updated_at = @when,
         name = COALESCE((SELECT name FROM signups WHERE id = @signup), name)
       WHERE id = @subscriber AND status = 'pending'`,
  ).run({ when, signup: signup.id, subscriber: signup.subscriberId }).changes;
  if (changed === 0) return false;
  statement(db, 'UPDATE signups SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL').run(when, signup.id);
  return true;
}

/**
 * A pending delivery of the welcome issue in the send log: once per address and campaign whatever
 * happens later (UNIQUE), sent by the mailer like any delivery.
 */
export function queueWelcomeDelivery(db: Db, campaignId: number, subscriberId: number, messageIdFor: (email: string) => string, at: Date): boolean {
  const subscriber = statement(db, 'SELECT email, name FROM subscribers WHERE id = ?').get(subscriberId) as { email: string; name: string | null } | undefined;
  if (!subscriber) return false;
  const when = at.toISOString();
  return (
    statement(
      db,
      `INSERT OR IGNORE INTO deliveries (campaign_id, subscriber_id, email, name, state, message_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
    ).run(campaignId, subscriberId, subscriber.email, subscriber.name, messageIdFor(subscriber.email), when, when).changes > 0
  );
}

// ---------------------------------------------------------------------------------------------
// The confirmation outbox

export interface ConfirmationJob {
  id: number;
  subscriberId: number;
  email: string;
  expiresAt: string;
  /** Including this one. */
  attempts: number;
}

/** Emails a stopped mailer left in `sending`: they may have gone out, so they are not sent again. */
export function markInterruptedConfirmations(db: Db): number {
  return statement(db, "UPDATE signups SET mail_state = 'unknown', mail_reply = 'interrupted while sending (serve stopped)', mail_due_at = NULL WHERE mail_state = 'sending'")
    .run().changes;
}

/**
 * Claims up to `limit` due confirmation emails and commits `sending` for them. One whose
 * subscriber is no longer pending (confirmed through an earlier email, unsubscribed) or whose link
 * has expired is skipped instead.
 */
export function claimConfirmations(db: Db, now: Date, limit: number): ConfirmationJob[] {
  const at = now.toISOString();
  return inSignupTransaction(db, () => {
    const rows = statement(
      db,
      `SELECT g.id, g.subscriber_id AS subscriberId, g.email, g.expires_at AS expiresAt, g.mail_attempts AS attempts, g.mail_state AS state, s.status
           FROM signups g JOIN subscribers s ON s.id = g.subscriber_id
          WHERE g.mail_state IN ('queued', 'deferred') AND g.mail_due_at <= ?
          ORDER BY g.mail_due_at, g.id LIMIT ?`,
    ).all(at, limit) as (ConfirmationJob & { state: SignupMailState; status: SubscriberStatus })[];
    const start = statement(db, "UPDATE signups SET mail_state = 'sending', mail_attempts = mail_attempts + 1 WHERE id = ? AND mail_state = ?");
    const skip = statement(db, "UPDATE signups SET mail_state = 'skipped', mail_reply = ?, mail_due_at = NULL WHERE id = ?");
    const jobs: ConfirmationJob[] = [];
    for (const row of rows) {
      if (row.status !== 'pending') skip.run(`not sent: the subscriber is ${row.status}`, row.id);
      else if (row.expiresAt <= at) skip.run('not sent: the link expired before it could be sent', row.id);
      else if (start.run(row.id, row.state).changes === 1) jobs.push({ id: row.id, subscriberId: row.subscriberId, email: row.email, expiresAt: row.expiresAt, attempts: row.attempts + 1 });
    }
    return jobs;
  });
}

export interface ConfirmationResult {
  id: number;
  state: 'sent' | 'deferred' | 'failed' | 'unknown';
  reply: string;
  at: Date;
  /** For `deferred`: when to try again. */
  dueAt?: Date;
}

export function recordConfirmationResults(db: Db, results: readonly ConfirmationResult[]): void {
  if (results.length === 0) return;
  const write = statement(
    db,
    `UPDATE signups SET mail_state = @state, mail_reply = @reply, mail_due_at = @due,
       mail_sent_at = CASE WHEN @state = 'sent' THEN @at ELSE mail_sent_at END
     WHERE id = @id AND mail_state = 'sending'`,
  );
  inSignupTransaction(db, () => {
    for (const r of results) write.run({ id: r.id, state: r.state, reply: r.reply.slice(0, 1000), at: r.at.toISOString(), due: r.dueAt ? r.dueAt.toISOString() : null });
  });
}

/** Emails claimed but never handed to the server (the SMTP setup failed): back in the queue, attempt not counted. */
export function releaseConfirmations(db: Db, ids: readonly number[]): void {
  const back = statement(db, "UPDATE signups SET mail_state = CASE WHEN mail_attempts > 1 THEN 'deferred' ELSE 'queued' END, mail_attempts = mail_attempts - 1 WHERE id = ? AND mail_state = 'sending'");
  inSignupTransaction(db, () => {
    for (const id of ids) back.run(id);
  });
}

/** When the next queued or deferred email is due (ISO), if any. */
export function nextConfirmationDue(db: Db): string | undefined {
  return (statement(db, "SELECT MIN(mail_due_at) AS due FROM signups WHERE mail_state IN ('queued', 'deferred')").get() as { due: string | null }).due ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// Welcome deliveries: rows of the send log (deliveries) under the welcome campaign, with its rules:
// `sending` committed before the SMTP transaction, the result after it, an interrupted row
// `unknown` (markInterruptedUnknown), never sent again.

export interface WelcomeDelivery {
  id: number;
  subscriberId: number | null;
  email: string;
  name: string | null;
  messageId: string;
  /** Including this one. */
  attempts: number;
  /** Where the row was before it was claimed: `pending` or `deferred`. */
  state: 'pending' | 'deferred';
  createdAt: string;
}

/**
 * Claims up to `limit` welcome deliveries that are due (pending, or deferred and past their retry
 * time) and commits `sending` for them. One whose subscriber is no longer active is `skipped`.
 */
export function claimWelcomeDeliveries(db: Db, campaignId: number, now: Date, limit: number): WelcomeDelivery[] {
  const at = now.toISOString();
  return inSignupTransaction(db, () => {
    const rows = statement(
      db,
      `SELECT id, subscriber_id AS subscriberId, email, name, message_id AS messageId, attempts, state, created_at AS createdAt FROM deliveries
        WHERE campaign_id = ? AND (state = 'pending' OR (state = 'deferred' AND next_attempt_at <= ?)) ORDER BY id LIMIT ?`,
    ).all(campaignId, at, limit) as WelcomeDelivery[];
    const start = statement(
      db,
      `UPDATE deliveries SET state = 'sending', attempts = attempts + 1, updated_at = @at
        WHERE id = @id AND state = @state AND (SELECT status FROM subscribers WHERE id = deliveries.subscriber_id) = 'active'`,
    );
    const skip = statement(
      db,
      `UPDATE deliveries SET state = 'skipped', updated_at = @at,
         last_reply = CASE WHEN subscriber_id IS NULL THEN 'subscriber removed before sending' ELSE 'subscriber ' || (SELECT status FROM subscribers WHERE id = deliveries.subscriber_id) || ' before sending' END
        WHERE id = @id AND state = @state`,
    );
    const started: WelcomeDelivery[] = [];
    for (const row of rows) {
      if (start.run({ id: row.id, state: row.state, at }).changes === 1) started.push({ ...row, attempts: row.attempts + 1 });
      else skip.run({ id: row.id, state: row.state, at });
    }
    return started;
  });
}

export interface WelcomeResult {
  id: number;
  state: 'sent' | 'deferred' | 'failed' | 'unknown';
  code: number | undefined;
  reply: string;
  at: Date;
  /** For `deferred`: when to try again. */
  nextAttemptAt: Date | null;
}

export function recordWelcomeResults(db: Db, results: readonly WelcomeResult[]): void {
  if (results.length === 0) return;
  const write = statement(
    db,
    `UPDATE deliveries SET state = @state, last_code = @code, last_reply = @reply, updated_at = @at, next_attempt_at = @next,
       sent_at = CASE WHEN @state = 'sent' THEN @at ELSE sent_at END
     WHERE id = @id AND state = 'sending'`,
  );
  inSignupTransaction(db, () => {
    for (const r of results) write.run({ id: r.id, state: r.state, code: r.code ?? null, reply: r.reply.slice(0, 1000), at: r.at.toISOString(), next: r.nextAttemptAt ? r.nextAttemptAt.toISOString() : null });
  });
}

/** Welcome deliveries claimed but never handed to the server: back where they were, attempt not counted. */
export function releaseWelcomeDeliveries(db: Db, rows: readonly WelcomeDelivery[], now: Date): void {
  if (rows.length === 0) return;
  const back = statement(db, "UPDATE deliveries SET state = @state, attempts = attempts - 1, updated_at = @at WHERE id = @id AND state = 'sending'");
  inSignupTransaction(db, () => {
    for (const row of rows) back.run({ id: row.id, state: row.state, at: now.toISOString() });
  });
}

/** When the next welcome delivery is due (ISO), if any. */
export function nextWelcomeDue(db: Db, campaignId: number): string | undefined {
  return (
    statement(db, "SELECT MIN(CASE state WHEN 'pending' THEN created_at ELSE next_attempt_at END) AS due FROM deliveries WHERE campaign_id = ? AND state IN ('pending', 'deferred')").get(campaignId) as {
      due: string | null;
    }
  ).due ?? undefined;
}

// ---------------------------------------------------------------------------------------------
// The consent record and purging

export function signupsOf(db: Db, subscriberId: number): Signup[] {
  return statement(db, `SELECT ${SIGNUP_COLUMNS} FROM signups WHERE subscriber_id = ? ORDER BY id`).all(subscriberId) as Signup[];
}

export interface PurgeOutcome {
  /** New addresses that never confirmed: deleted with their sign-ups. */
  removed: string[];
  /** Addresses that were unsubscribed or bounced before an unconfirmed sign-up: that status again. */
  restored: { email: string; status: OptOutStatus }[];
}

/**
 * Ends every sign-up still pending whose latest request is older than `cutoff`. An address the
 * sign-up found unsubscribed or bounced gets that status back (an unconfirmed sign-up never erases
 * an opt-out); a new one is deleted. Unconfirmed sign-ups go with them. `dryRun` changes nothing.
 */
export function purgePendingSignups(db: Db, cutoff: Date, at: Date, dryRun: boolean): PurgeOutcome {
  const outcome: PurgeOutcome = { removed: [], restored: [] };
  const run = () => {
    const stale = statement(
      db,
      `SELECT s.id, s.email,
                (SELECT previous_status FROM signups g WHERE g.subscriber_id = s.id ORDER BY g.id DESC LIMIT 1) AS previous
           FROM subscribers s
          WHERE s.status = 'pending'
            AND COALESCE((SELECT MAX(requested_at) FROM signups g WHERE g.subscriber_id = s.id), s.updated_at) < ?
          ORDER BY s.id`,
    ).all(cutoff.toISOString()) as { id: number; email: string; previous: OptOutStatus | null }[];
    const restore = statement(db, "UPDATE subscribers SET status = ?, updated_at = ? WHERE id = ? AND status = 'pending'");
    const dropUnconfirmed = statement(db, 'DELETE FROM signups WHERE subscriber_id = ? AND confirmed_at IS NULL');
    const remove = statement(db, "DELETE FROM subscribers WHERE id = ? AND status = 'pending'");
    for (const row of stale) {
      if (row.previous) {
        outcome.restored.push({ email: row.email, status: row.previous });
        if (dryRun) continue;
        restore.run(row.previous, at.toISOString(), row.id);
        dropUnconfirmed.run(row.id);
      } else {
        outcome.removed.push(row.email);
        if (!dryRun) remove.run(row.id);
      }
    }
  };
  if (dryRun) run();
  else inSignupTransaction(db, run);
  return outcome;
}
