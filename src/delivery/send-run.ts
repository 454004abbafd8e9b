import { EXIT, FintechWeeklyError } from '../core/errors.js';
import type { SmtpOutcome } from '../core/smtp-reply.js';
import { RateLimiter, retryDelaySeconds } from './rate-limit.js';
import type { Delivery, DeliveryCounts, SendLog } from './send-log.js';
import { ABORT_HINTS, type OutgoingMessage, type Transport } from './transport.js';

/**
 * One run of the send engine over one campaign's send log: claims rows (due retries first), sends
 * them over the transport with bounded concurrency and a rate limit, settles each reply into the
 * log, and retries 4xx replies with backoff. It sees the store only as a SendLog.
 *
 * How a run ends:
 * - the list is done (or --limit reached): finish() marks the campaign done when nothing is left;
 * - the SMTP setup is broken (login, TLS, server unreachable): abort, nothing more is claimed, the
 *   run throws with what to fix;
 * - stop() (the editor's Ctrl-C, a SIGTERM): nothing more is claimed, the messages in flight get a
 *   bounded wait to finish and have their real outcome recorded, then the transport cuts the rest;
 *   halt() cuts at once. A cut message that had not reached DATA goes back to where it was;
 * - the store cannot be written (a full disk): nothing more is claimed, the messages in flight
 *   finish, their states are still recorded where possible, and the store's error is thrown.
 */

export interface SendCounts {
  sent: number;
  failed: number;
  deferred: number;
  unknown: number;
  skipped: number;
}

export type SendRunEvent =
  | { type: 'progress'; counts: SendCounts; done: number; total: number; elapsedMs: number }
  | { type: 'retry'; email: string; reply: string; attempt: number; delaySeconds: number }
  /** `immediate`: the second request to stop; what is in flight is cut now. */
  | { type: 'stopping'; reason: string; inFlight: number; graceSeconds: number; immediate: boolean };

export interface SendRunSettings {
  /** The campaign's slug, for messages. */
  slug: string;
  /** Messages per second across all connections. */
  rate: number;
  /** Attempts per delivery in this run for 4xx replies. */
  maxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  /** Send to at most this many rows this run. */
  limit?: number | undefined;
  /** The log hands out `unknown` rows too (--retry-unknown). */
  retryUnknown: boolean;
  /** How long stop() waits for the messages in flight before cutting them. */
  stopGraceMs: number;
}

export interface SendRunDeps {
  log: SendLog;
  transport: Transport;
  /** One recipient's message; throws when this address cannot be put into a message at all. */
  compose(row: Delivery): OutgoingMessage;
  now: () => Date;
  onEvent?: ((event: SendRunEvent) => void) | undefined;
}

export interface SendRunResult {
  counts: SendCounts;
  /** Deliveries this run set out to work on (its share of the list, after --limit). */
  total: number;
  startedAt: Date;
  endedAt: Date;
  /** The campaign's send log after the run, all runs together. */
  log: DeliveryCounts;
  /** Why the run was stopped before its list was done (a signal's name), if it was. */
  stopped?: string;
}

interface Retry {
  row: Delivery;
  dueAt: number;
}

/** Results wait for the next claim's transaction; a quiet tail commits on its own after this long or this many. */
const FLUSH_AFTER_MS = 500;
const FLUSH_AFTER_RESULTS = 256;

export class SendRun {
  readonly total: number;
  private readonly startedAt: Date;
  private readonly claimSize: number;
  private readonly limiter: RateLimiter;
  private readonly counts: SendCounts = { sent: 0, failed: 0, deferred: 0, unknown: 0, skipped: 0 };
  private readonly attemptsThisRun = new Map<number, number>();
  /** Claimed (`sending` in the log) and not handed to the transport yet; released when the run ends early. */
  private readonly queue: Delivery[] = [];
  private readonly retries: Retry[] = [];
  private claimed = 0;
  private listExhausted = false;
  private inFlight = 0;
  private lastFlush: number;
  private aborted: SmtpOutcome | undefined;
  private storeFailure: unknown;
  private stopped: string | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Set when the run ends early: workers claim and start nothing more. */
  private ended = false;
  /** Workers waiting (for the rate limit, a retry, a reply): woken when the run ends early. */
  private readonly sleepers: ((() => void) | undefined)[] = [];

  constructor(
    private readonly deps: SendRunDeps,
    private readonly settings: SendRunSettings,
  ) {
    this.startedAt = deps.now();
    this.lastFlush = this.startedAt.getTime();
    const before = deps.log.counts();
    const open = before.pending + before.deferred + (settings.retryUnknown ? before.unknown : 0);
    this.total = settings.limit === undefined ? open : Math.min(open, settings.limit);
    const connections = Math.max(1, deps.transport.connections);
    this.claimSize = connections * 4;
    this.limiter = new RateLimiter(settings.rate, connections, this.startedAt.getTime());
  }

  /** Sends until the list is done or the run is stopped; throws when the SMTP setup or the store failed. */
  async run(): Promise<SendRunResult> {
    await Promise.all(Array.from({ length: Math.max(1, this.deps.transport.connections) }, (_, slot) => this.worker(slot)));
    return this.finish();
  }

  /** Claims nothing more; the messages in flight get settings.stopGraceMs to finish, then they are cut. */
  stop(reason: string): void {
    if (this.stopped !== undefined) return;
    this.stopped = reason;
    this.end();
    this.emit({ type: 'stopping', reason, inFlight: this.inFlight, graceSeconds: Math.round(this.settings.stopGraceMs / 100) / 10, immediate: false });
    if (this.inFlight > 0) this.graceTimer = setTimeout(() => this.deps.transport.abort(), this.settings.stopGraceMs);
  }

  /** Stops and cuts the messages in flight now. */
  halt(reason: string): void {
    if (this.stopped === undefined) {
      this.stopped = reason;
      this.end();
    }
    clearTimeout(this.graceTimer);
    this.emit({ type: 'stopping', reason, inFlight: this.inFlight, graceSeconds: 0, immediate: true });
    this.deps.transport.abort();
  }

  private end(): void {
    this.ended = true;
    for (const wake of [...this.sleepers]) wake?.();
  }

  private emit(event: SendRunEvent): void {
    this.deps.onEvent?.(event);
  }

  private now(): number {
    return this.deps.now().getTime();
  }

  /**
   * Waits `ms`, or less when the run ends early. Each worker has its own slot for its wake-up:
   * timers/promises with an AbortSignal added a listener per wait (one per message under the rate
   * limit), and a Set gaining and losing an entry per wait chains its discarded tables (see
   * PooledConnection.cut in transport.ts); either made the old generation grow until a full GC.
   */
  private pause(ms: number, slot: number): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers[slot] = undefined;
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers[slot] = wake;
    });
  }

  private progress(): void {
    const c = this.counts;
    const done = c.sent + c.failed + c.unknown + c.skipped + c.deferred - this.retries.length;
    this.emit({ type: 'progress', counts: { ...c }, done, total: this.total, elapsedMs: this.now() - this.startedAt.getTime() });
  }

  /** Claims the next rows, due retries first, committing `sending` for them with the results so far. */
  private claim(): void {
    const at = this.deps.now();
    const again: Delivery[] = [];
    while (again.length < this.claimSize) {
      const i = this.retries.findIndex((r) => r.dueAt <= at.getTime());
      if (i < 0) break;
      again.push(...this.retries.splice(i, 1).map((r) => r.row));
    }
    const { limit } = this.settings;
    const fresh = this.listExhausted ? 0 : Math.min(this.claimSize - again.length, limit === undefined ? Infinity : limit - this.claimed);
    if (!again.length && fresh <= 0) return;
    let claim;
    try {
      claim = this.deps.log.claim(again, Math.max(0, fresh), at);
    } catch (error) {
      // Nothing of that claim was committed: the retries are still due, the rest still unclaimed.
      this.retries.push(...again.map((row) => ({ row, dueAt: at.getTime() })));
      this.failStore(error);
      return;
    }
    this.lastFlush = this.now();
    // Every row of the claim, retried or fresh, comes back either started or skipped.
    this.claimed += claim.started.length + claim.skipped.length - again.length;
    if (claim.exhausted || (limit !== undefined && this.claimed >= limit)) this.listExhausted = true;
    this.queue.push(...claim.started);
    this.counts.skipped += claim.skipped.length;
    // A retried row is counted once, as its final outcome.
    for (const row of [...claim.started, ...claim.skipped]) if (this.attemptsThisRun.has(row.id)) this.counts.deferred--;
    if (claim.skipped.length) this.progress();
  }

  /** Records the outcome of one attempt; a 4xx is retried in this run while attempts remain. */
  private settle(row: Delivery, outcome: SmtpOutcome): void {
    const at = this.deps.now();
    // Each result is one object literal, not `{ ...base, state }`: V8 (Node 20) gives every object
    // built from a spread plus a key the source lacks a new hidden class (map) of its own, in the old
    // generation, and with one per message every message's objects survived young collections until
    // a full GC (issue 8: 7.8 % of what a run allocated was promoted against 1.8 % without).
    const { code, reply } = outcome;
    if (outcome.kind === 'deferred') {
      const attempt = (this.attemptsThisRun.get(row.id) ?? 0) + 1;
      this.attemptsThisRun.set(row.id, attempt);
      this.counts.deferred++;
      const { maxAttempts, retryBaseSeconds, retryMaxSeconds } = this.settings;
      const attemptsLeft = attempt < maxAttempts;
      // Out of attempts for this run, the row still says when a later run (dispatch) may try
      // again: after the longest backoff, so a throttling server is not asked by every cron run.
      const delaySeconds = attemptsLeft ? retryDelaySeconds(attempt, retryBaseSeconds, retryMaxSeconds) : retryMaxSeconds;
      const dueAt = new Date(at.getTime() + delaySeconds * 1000);
      this.deps.log.record({ id: row.id, state: 'deferred', code, reply, at, nextAttemptAt: dueAt });
      // A run that is ending leaves the retry to the next one.
      if (attemptsLeft && !this.ended) {
        this.retries.push({ row: { ...row, state: 'deferred' }, dueAt: dueAt.getTime() });
        this.emit({ type: 'retry', email: row.email, reply: outcome.reply, attempt, delaySeconds });
      }
    } else if (outcome.kind === 'sent' || outcome.kind === 'failed' || outcome.kind === 'unknown') {
      this.counts[outcome.kind]++;
      this.deps.log.record({ id: row.id, state: outcome.kind, code, reply, at });
    }
    // After a store failure everything left is written once, when the run finishes.
    if (this.storeFailure === undefined && (this.deps.log.unflushed >= FLUSH_AFTER_RESULTS || at.getTime() - this.lastFlush > FLUSH_AFTER_MS)) {
      try {
        this.deps.log.flush();
      } catch (error) {
        this.failStore(error);
      }
      this.lastFlush = at.getTime();
    }
    this.progress();
  }

  /** The SMTP setup is broken: nothing can succeed until it is fixed. */
  private abort(outcome: SmtpOutcome): void {
    this.aborted ??= outcome;
    this.end();
  }

  private failStore(error: unknown): void {
    if (this.storeFailure === undefined) this.storeFailure = error;
    this.end();
  }

  private async worker(slot: number): Promise<void> {
    for (;;) {
      if (this.ended) return;
      if (!this.queue.length) this.claim();
      if (this.ended) return;
      const row = this.queue.shift();
      if (!row) {
        if (this.listExhausted && !this.retries.length) {
          // Another worker's send may still come back deferred: wait for it before leaving.
          if (this.inFlight === 0) return;
          await this.pause(50, slot);
          continue;
        }
        const nextDue = Math.min(...this.retries.map((r) => r.dueAt));
        await this.pause(Math.max(10, Math.min(1000, (Number.isFinite(nextDue) ? nextDue : 0) - this.now())), slot);
        continue;
      }
      const wait = this.limiter.reserve(this.now());
      if (wait > 0) await this.pause(wait, slot);
      if (this.ended) {
        this.queue.push(row);
        return;
      }
      await this.deliver(row);
    }
  }

  private async deliver(row: Delivery): Promise<void> {
    let message: OutgoingMessage;
    try {
      message = this.deps.compose(row);
    } catch (error) {
      // This one address cannot be put into a message (it never can): it fails, the run goes on.
      this.settle(row, { kind: 'failed', code: undefined, reply: `not sent: ${(error as Error).message}` });
      return;
    }
    this.inFlight++;
    let outcome: SmtpOutcome;
    try {
      // The transport reports SMTP trouble as outcomes; anything it throws (a DKIM key that
      // cannot sign) would fail every message, so it stops the run like a refused login.
      outcome = await this.deps.transport.send(message).catch((error: unknown) => ({ kind: 'abort' as const, code: undefined, reply: (error as Error).message, fix: 'server' as const }));
    } finally {
      this.inFlight--;
    }
    if (outcome.kind === 'abort' || outcome.kind === 'cancelled') {
      // It never reached the server: released with the rest of the queue.
      this.queue.push(row);
      if (outcome.kind === 'abort') this.abort(outcome);
      return;
    }
    this.settle(row, outcome);
  }

  /** Releases what was claimed and not sent, commits every result, and reports. */
  private finish(): SendRunResult {
    clearTimeout(this.graceTimer);
    const endedAt = this.deps.now();
    const { log } = this.deps;
    try {
      log.release(this.queue.splice(0), endedAt);
    } catch (error) {
      this.failStore(error);
    }
    try {
      log.flush();
    } catch (error) {
      this.failStore(error);
    }
    if (this.storeFailure !== undefined) throw this.storeFailure;
    if (this.aborted) {
      throw new FintechWeeklyError(`the send of ${this.settings.slug} stopped: ${this.aborted.reply} (${this.counts.sent} sent before it stopped; nothing else was marked sent)`, {
        hint: ABORT_HINTS[this.aborted.fix ?? 'server'],
        exitCode: EXIT.error,
      });
    }
    log.finish(endedAt);
    return {
      counts: { ...this.counts },
      total: this.total,
      startedAt: this.startedAt,
      endedAt,
      log: log.counts(),
      ...(this.stopped === undefined ? {} : { stopped: this.stopped }),
    };
  }
}
