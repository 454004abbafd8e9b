import type { Settings } from '../config/load.js';
import { composeTemplate, personalizeMessage, type MessageTemplate } from '../core/message/compose.js';
import { CONFIRM_TOKEN_MARKER, createConfirmToken } from '../core/message/confirm-token.js';
import { derivedMessageId } from '../core/message/message-id.js';
import type { OutcomeKind, SmtpOutcome } from '../core/smtp-reply.js';
import { createUnsubscribeToken } from '../core/message/token.js';
import { RateLimiter, retryDelaySeconds } from '../delivery/rate-limit.js';
import type { OutgoingMessage, Transport } from '../delivery/transport.js';
import type { ConfirmationEmail } from '../pipeline/confirmation-email.js';
import type { Db } from '../store/db.js';
import { markInterruptedUnknown } from '../store/deliveries.js';
import type { LockResult } from '../delivery/send-log.js';
import { acquireLock } from '../store/locks.js';
import {
  claimConfirmations,
  claimWelcomeDeliveries,
  markInterruptedConfirmations,
  nextConfirmationDue,
  nextWelcomeDue,
  recordConfirmationResults,
  recordWelcomeResults,
  releaseConfirmations,
  releaseWelcomeDeliveries,
  type ConfirmationJob,
  type ConfirmationResult,
  type WelcomeDelivery,
  type WelcomeResult,
} from '../store/signups.js';
import { composeIssue } from '../pipeline/compose-issue.js';
import type { WelcomeCampaign } from './signup-welcome.js';

/**
 * The outbox worker of `serve`: sends the confirmation emails the form queued, and the welcome
 * issue to readers who confirmed, through the configured SMTP server (DKIM included), outside any
 * request, so a slow or absent server never slows the form. Everything it does is in the store:
 * what `serve` queued before it stopped is sent after it starts again; what was in flight when it
 * died is `unknown` and not sent twice. One mailer per database works at a time (a lock in the
 * store); another `serve` on the same store only answers requests until it can take over.
 */

export type SignupMailEvent =
  | { kind: 'confirmation'; signupId: number; state: ConfirmationResult['state']; reply: string }
  | { kind: 'welcome'; subscriberId: number | null; state: 'sent' | 'deferred' | 'failed' | 'unknown'; reply: string }
  | { kind: 'smtp-unavailable'; reply: string; retryInSeconds: number }
  | { kind: 'recovered'; confirmations: number; welcome: number }
  | { kind: 'error'; error: unknown };

export interface SignupMailerOptions {
  settings: Settings;
  db: Db;
  secret: string;
  confirmation: ConfirmationEmail;
  welcome: WelcomeCampaign | undefined;
  /** Opened when there is something to send, closed when the queue is empty. */
  openTransport: () => Promise<Transport>;
  now?: () => Date;
  onEvent?: (event: SignupMailEvent) => void;
  /** How often the store is looked at without a nudge (another process's rows, retries coming due). */
  pollMs?: number;
}

export interface SignupMailer {
  /** Something was queued: look now. */
  notify(): void;
  /** Sends nothing new, waits for what is in flight, records it, closes the transport. */
  stop(): Promise<void>;
}

const LOCK = 'signup-mailer';
const CLAIM = 20;
/** A temporary failure of a welcome email is retried for this long, then given up. */
const WELCOME_RETRY_MS = 48 * 3_600_000;
/** How long a welcome issue that no longer builds is left alone before it is tried again. */
const WELCOME_PAUSE_MS = 60_000;
const MIN_BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 600_000;

type Job = { kind: 'confirmation'; job: ConfirmationJob } | { kind: 'welcome'; row: WelcomeDelivery };
/** An outcome that settles one email (the server was usable). */
type Settled = Omit<SmtpOutcome, 'kind'> & { kind: Exclude<OutcomeKind, 'abort' | 'cancelled'> };

export function startSignupMailer(options: SignupMailerOptions): SignupMailer {
  const { settings, db, secret, welcome } = options;
  const { config } = settings;
  const now = options.now ?? (() => new Date());
  const emit = options.onEvent ?? (() => undefined);
  const pollMs = options.pollMs ?? 5_000;

  let stopping = false;
  let nudged = false;
  /** After the welcome issue failed to build: leave its deliveries alone until then. */
  let welcomePausedUntil = 0;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  const confirmationMessage = (job: ConfirmationJob, at: Date): OutgoingMessage => {
    const token = createConfirmToken(secret, job.id, job.email, new Date(job.expiresAt));
    const template = composeTemplate(
      {
        slug: 'confirm',
        subject: options.confirmation.subject,
        html: options.confirmation.html.replaceAll(CONFIRM_TOKEN_MARKER, token),
        text: options.confirmation.text.replaceAll(CONFIRM_TOKEN_MARKER, token),
      },
      { sender: config.sender, publicUrl: config.publicUrl, listId: config.listId, unsubscribeMailto: config.unsubscribeMailto, date: at },
    );
    // No display name: the name came from the form, typed by whoever filled it in.
    return personalizeMessage(template, {
      email: job.email,
      messageId: derivedMessageId(`confirm.${job.id}`, job.email, config.sender.fromEmail),
      token: createUnsubscribeToken(secret, job.subscriberId, job.email),
    });
  };

  const confirmationResult = (job: ConfirmationJob, outcome: Settled, at: Date): ConfirmationResult => {
    if (outcome.kind !== 'deferred') return { id: job.id, state: outcome.kind, reply: outcome.reply, at };
    const dueAt = new Date(at.getTime() + retryDelaySeconds(job.attempts, config.send.retryBaseSeconds, config.send.retryMaxSeconds) * 1000);
    if (dueAt.toISOString() >= job.expiresAt) return { id: job.id, state: 'failed', reply: `gave up (the link expires before another try): ${outcome.reply}`, at };
    return { id: job.id, state: 'deferred', reply: outcome.reply, at, dueAt };
  };

  const welcomeResult = (row: WelcomeDelivery, outcome: Settled, at: Date): WelcomeResult => {
    const result: WelcomeResult = { id: row.id, state: outcome.kind, code: outcome.code, reply: outcome.reply, at, nextAttemptAt: null };
    if (outcome.kind === 'deferred') {
      result.nextAttemptAt = new Date(at.getTime() + retryDelaySeconds(row.attempts, config.send.retryBaseSeconds, config.send.retryMaxSeconds) * 1000);
      if (result.nextAttemptAt.getTime() - Date.parse(row.createdAt) > WELCOME_RETRY_MS) {
        Object.assign(result, { state: 'failed', reply: `gave up after 48 hours of temporary failures: ${outcome.reply}`, nextAttemptAt: null });
      }
    }
    emit({ kind: 'welcome', subscriberId: row.subscriberId, state: result.state, reply: result.reply });
    return result;
  };

  /** The welcome issue as it is now (a rebuild only when the file changed), composed with today's Date header. */
  const welcomeTemplate = async (at: Date): Promise<MessageTemplate> => (await composeIssue(settings, (welcome as WelcomeCampaign).file, { now: at })).template;

  /** Claims what is due; returns nothing when nothing is. */
  const claim = async (): Promise<{ jobs: Job[]; welcomeMessage?: MessageTemplate }> => {
    const at = now();
    const jobs: Job[] = claimConfirmations(db, at, CLAIM).map((job) => ({ kind: 'confirmation', job }));
    if (!welcome || Date.now() < welcomePausedUntil) return { jobs };
    const welcomeDue = nextWelcomeDue(db, welcome.campaignId);
    if (welcomeDue === undefined || welcomeDue > at.toISOString()) return { jobs };
    let welcomeMessage: MessageTemplate;
    try {
      welcomeMessage = await welcomeTemplate(at);
    } catch (error) {
      // The welcome file broke while serve runs: its deliveries wait (still pending) until it is fixed.
      welcomePausedUntil = Date.now() + WELCOME_PAUSE_MS;
      emit({ kind: 'error', error });
      return { jobs };
    }
    for (const row of claimWelcomeDeliveries(db, welcome.campaignId, now(), CLAIM)) jobs.push({ kind: 'welcome', row });
    return { jobs, welcomeMessage };
  };

  /** Sends the claimed jobs, `transport.connections` at a time at smtp.rate; returns the abort outcome if the server could not be used. */
  const deliver = async (transport: Transport, jobs: Job[], welcomeMessage: MessageTemplate | undefined): Promise<SmtpOutcome | undefined> => {
    // One bucket for the mailer's life: smtp.rate holds across rounds, not only within one.
    limiter ??= new RateLimiter(config.smtp.rate, Math.max(1, transport.connections), Date.now());
    const bucket = limiter;
    const results: ConfirmationResult[] = [];
    const welcomeResults: WelcomeResult[] = [];
    const unsent: Job[] = [];
    let aborted: SmtpOutcome | undefined;
    const queue = [...jobs];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        if (aborted || stopping) {
          unsent.push(next);
          continue;
        }
        const wait = bucket.reserve(Date.now());
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const at = now();
        let message: OutgoingMessage;
        try {
          message =
            next.kind === 'confirmation'
              ? confirmationMessage(next.job, at)
              : personalizeMessage(welcomeMessage as MessageTemplate, { email: next.row.email, name: next.row.name, messageId: next.row.messageId, token: createUnsubscribeToken(secret, next.row.subscriberId ?? 0, next.row.email) });
        } catch (error) {
          // This one address cannot be put into a message (it never can): it fails, the rest go on.
          const failed = { kind: 'failed' as const, code: undefined, reply: `not sent: ${(error as Error).message}` };
          if (next.kind === 'confirmation') results.push(confirmationResult(next.job, failed, at));
          else welcomeResults.push(welcomeResult(next.row, failed, at));
          continue;
        }
        const outcome = await transport.send(message).catch((error: unknown): SmtpOutcome => ({ kind: 'abort', code: undefined, reply: (error as Error).message, fix: 'server' }));
        // Cancelled: the transport was stopped before DATA, so the server has none of it.
        if (outcome.kind === 'abort' || outcome.kind === 'cancelled') {
          if (outcome.kind === 'abort') aborted ??= outcome;
          unsent.push(next);
          continue;
        }
        const settled = outcome as Settled;
        if (next.kind === 'confirmation') {
          const result = confirmationResult(next.job, settled, now());
          results.push(result);
          emit({ kind: 'confirmation', signupId: next.job.id, state: result.state, reply: result.reply });
        } else welcomeResults.push(welcomeResult(next.row, settled, now()));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, transport.connections) }, worker));
    recordConfirmationResults(db, results);
    recordWelcomeResults(db, welcomeResults);
    unclaim(unsent);
    return aborted;
  };

  const untilNextDue = (): number => {
    const welcomeDue = welcome && Date.now() >= welcomePausedUntil ? nextWelcomeDue(db, welcome.campaignId) : undefined;
    const dues = [nextConfirmationDue(db), welcomeDue].filter((d): d is string => d !== undefined);
    if (dues.length === 0) return pollMs;
    const wait = Math.min(...dues.map((d) => Date.parse(d))) - now().getTime();
    return Math.min(pollMs, Math.max(50, wait));
  };

  /** Claimed but not handed to the server: back where they were, attempt not counted. */
  const unclaim = (jobs: Job[]) => {
    releaseConfirmations(
      db,
      jobs.flatMap((j) => (j.kind === 'confirmation' ? [j.job.id] : [])),
    );
    releaseWelcomeDeliveries(
      db,
      jobs.flatMap((j) => (j.kind === 'welcome' ? [j.row] : [])),
      now(),
    );
  };

  let lock: LockResult | undefined;
  let transport: Transport | undefined;
  let limiter: RateLimiter | undefined;
  let backoffMs = 0;

  /** One round: claim what is due and send it, or wait. Returns the abort outcome when the SMTP server could not be used. */
  const round = async (): Promise<SmtpOutcome | undefined> => {
    if (!lock?.acquired) {
      lock = acquireLock(db, LOCK, now());
      if (!lock.acquired) {
        await sleep(pollMs);
        return undefined;
      }
      const confirmations = markInterruptedConfirmations(db);
      const welcomeRows = welcome ? markInterruptedUnknown(db, welcome.campaignId, now()) : 0;
      if (confirmations + welcomeRows > 0) emit({ kind: 'recovered', confirmations, welcome: welcomeRows });
    }
    nudged = false;
    const { jobs, welcomeMessage } = await claim();
    if (jobs.length === 0) {
      await transport?.close();
      transport = undefined;
      if (!nudged && !stopping) await sleep(untilNextDue());
      return undefined;
    }
    try {
      transport ??= await options.openTransport();
    } catch (error) {
      unclaim(jobs);
      return { kind: 'abort', code: undefined, reply: (error as Error).message, fix: 'server' };
    }
    return deliver(transport, jobs, welcomeMessage);
  };

  const loop = async (): Promise<void> => {
    try {
      while (!stopping) {
        let aborted: SmtpOutcome | undefined;
        let failed = false;
        try {
          aborted = await round();
        } catch (error) {
          // A bug or a store that cannot be written: said once, then the same pause as for the server.
          emit({ kind: 'error', error });
          failed = true;
        }
        if (!aborted && !failed) {
          backoffMs = 0;
          continue;
        }
        await transport?.close();
        transport = undefined;
        backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoffMs * 2));
        if (aborted) emit({ kind: 'smtp-unavailable', reply: aborted.reply, retryInSeconds: backoffMs / 1000 });
        if (!stopping) await sleep(backoffMs);
      }
    } finally {
      await transport?.close();
      if (lock?.acquired) lock.release();
    }
  };

  const running = loop().catch((error: unknown) => emit({ kind: 'error', error }));
  return {
    notify() {
      nudged = true;
      wake?.();
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
    },
  };
}
