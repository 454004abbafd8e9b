import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Settings } from '../config/load.js';
import { composeTemplate, headerBlock, personalizeMessage, type MessageTemplate } from '../core/message/compose.js';
import { EXIT, FintechWeeklyError } from '../core/errors.js';
import { deliveryMessageId } from '../core/message/message-id.js';
import type { SmtpOutcome } from '../core/smtp-reply.js';
import { createUnsubscribeToken } from '../core/message/token.js';
import type { BuildWarning } from '../core/issue/warnings.js';
import { buildIssue } from '../pipeline/build-issue.js';
import { ensureCampaign, findCampaign, finishCampaign, markCampaignSending } from '../store/campaigns.js';
import { openDb, type Db } from '../store/db.js';
import { countDeliveries, DeliveryLog, limitPageCache, markInterruptedUnknown, previewRecipients, snapshotDeliveries, type Delivery, type DeliveryState } from '../store/deliveries.js';
import { acquireLock } from '../store/locks.js';
import { firstSubscriber, listSubscribers } from '../store/subscribers.js';
import { RateLimiter, retryDelaySeconds } from '../delivery/rate-limit.js';
import { describeSmtp, openOutboxTransport, openSmtpTransport, resolveSmtpSettings, type Transport } from '../delivery/transport.js';

/**
 * The whole send of one issue, for `send` and `dispatch`: build, snapshot the subscribers as
 * pending deliveries, take the campaign's lock, deliver with bounded concurrency and retries, and
 * report. Progress goes through a callback: only src/cli prints.
 */

export interface SendOptions {
  limit?: number | undefined;
  /** Messages per second; default config smtp.rate. */
  rate?: number | undefined;
  retryUnknown?: boolean | undefined;
  /** Only looking: a missing SMTP setup is not an error yet. */
  dryRun?: boolean | undefined;
  /** Write .eml files into this folder instead of sending (nothing is recorded). */
  outbox?: string | undefined;
  onProgress?: ((event: SendProgress) => void) | undefined;
  /** Injected for tests; default the system clock. */
  now?: () => Date;
}

export interface SendCounts {
  sent: number;
  failed: number;
  deferred: number;
  unknown: number;
  skipped: number;
}

export type SendProgress =
  | { type: 'start'; total: number; interrupted: number; transport: string }
  | { type: 'progress'; counts: SendCounts; done: number; total: number; elapsedMs: number }
  | { type: 'retry'; email: string; reply: string; attempt: number; delaySeconds: number }
  | { type: 'warning'; message: string };

export interface SendSummary extends SendCounts {
  slug: string;
  subject: string;
  /** Deliveries this run worked on (its share of the list, after --limit). */
  total: number;
  durationMs: number;
  messagesPerSecond: number;
  /** The campaign's send log after the run, all runs together. */
  log: Record<DeliveryState, number>;
  /** The run ended early because of --limit. */
  limited: boolean;
  /** True when deferred or unknown deliveries remain for a later run (exit code 75). */
  incomplete: boolean;
  /** Messages written with --outbox. */
  outbox?: string;
}

export interface PreparedSend {
  slug: string;
  subject: string;
  from: string;
  warnings: BuildWarning[];
  /** Recipients this run would send to (before --limit), and a few of them. */
  recipients: number;
  sample: { email: string; name: string | null }[];
  /** The header block of the first recipient's message. */
  headers: string;
  /** Where messages go ("smtp://user@host:587", "the folder out/"). */
  destination: string;
  run(): Promise<SendSummary>;
  close(): void;
}

export function requireSecret(settings: Settings): string {
  const secret = settings.secrets.unsubscribeSecret;
  if (!secret) {
    throw new FintechWeeklyError('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: every message needs a signed unsubscribe link', {
      hint: 'Set it to a long random value and keep it (e.g. `export FINTECHWEEKLY_UNSUBSCRIBE_SECRET=$(openssl rand -hex 32)`); `serve` needs the same value to accept the links.',
    });
  }
  return secret;
}

/** Builds the issue and composes its message template once; composeTemplate checks every header value. */
export async function composeIssue(settings: Settings, ref: string, options: { test?: boolean; now: Date }) {
  const built = await buildIssue(settings, ref);
  const { config } = settings;
  const secret = settings.secrets.unsubscribeSecret;
  const template = composeTemplate(built, {
    bounce: config.bounce.address && secret ? { address: config.bounce.address, secret } : undefined,
    sender: config.sender,
    publicUrl: config.publicUrl,
    listId: config.listId,
    unsubscribeMailto: config.unsubscribeMailto,
    date: options.now,
    test: options.test ?? false,
  });
  return { built, template };
}

export async function openTransport(settings: Settings, outbox: string | undefined): Promise<Transport> {
  if (outbox) return openOutboxTransport(path.resolve(outbox));
  return openSmtpTransport(resolveSmtpSettings(settings.config, settings.secrets, settings.root));
}

/** Everything up to the point of no return: build, compose, count. Nothing is written to the log. */
export async function prepareSend(settings: Settings, ref: string, options: SendOptions = {}): Promise<PreparedSend> {
  const now = options.now ?? (() => new Date());
  const secret = requireSecret(settings);
  // Configuration problems are reported before anyone is asked to confirm.
  const destination = options.outbox ? `the folder ${path.resolve(options.outbox)}` : describeDestination(settings, options.dryRun ?? false);
  const { built, template } = await composeIssue(settings, ref, { now: now() });
  const db = openDb(settings.dbPath);
  try {
    const campaign = findCampaign(db, built.slug);
    const preview = previewRecipients(db, campaign?.id, options.retryUnknown ?? false, 5);
    const example = firstSubscriber(db, 'active') ?? { id: 1, email: 'subscriber@example.com', name: null };
    const headers = headerBlock(
      personalizeMessage(template, { ...example, messageId: deliveryMessageId(built.slug, example.email, settings.config.sender.fromEmail), token: createUnsubscribeToken(secret, example.id, example.email) }).raw,
    );
    let closed = false;
    return {
      slug: built.slug,
      subject: template.subject,
      from: `${settings.config.sender.fromName} <${settings.config.sender.fromEmail}>`,
      warnings: built.warnings,
      recipients: preview.count,
      sample: preview.sample,
      headers,
      destination,
      run: () => (options.outbox ? writeOutbox(db, template, secret, settings, options) : deliver(db, { slug: built.slug, file: built.file, contentHash: built.contentHash }, template, secret, settings, options)),
      close: () => {
        if (!closed) db.close();
        closed = true;
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** `send` without questions, for `dispatch`: prepare and run. */
export async function sendIssue(settings: Settings, ref: string, options: SendOptions = {}): Promise<SendSummary> {
  const prepared = await prepareSend(settings, ref, options);
  try {
    return await prepared.run();
  } finally {
    prepared.close();
  }
}

function describeDestination(settings: Settings, dryRun: boolean): string {
  try {
    return describeSmtp(resolveSmtpSettings(settings.config, settings.secrets, settings.root));
  } catch (error) {
    if (dryRun && error instanceof FintechWeeklyError) return `(no SMTP server yet: ${error.message})`;
    throw error;
  }
}

/** What to tell the editor when the SMTP setup, not a recipient, is the problem. */
export const ABORT_HINTS: Record<NonNullable<SmtpOutcome['fix']>, string> = {
  login: 'Check the SMTP user (smtp.user or the user in FINTECHWEEKLY_SMTP_URL) and the password (FINTECHWEEKLY_SMTP_PASSWORD or the URL), then run the same command again: it resumes.',
  tls: 'Check the port and TLS mode (465 = smtps:// or smtp.secure: true; 587 = STARTTLS) and that the server certificate matches the host name, then run the same command again.',
  server: 'Check smtp.host and smtp.port (or FINTECHWEEKLY_SMTP_URL) and that the SMTP server is running and reachable, then run the same command again.',
};

interface Retry {
  row: Delivery;
  dueAt: number;
}

async function deliver(db: Db, issue: { slug: string; file: string; contentHash: string }, template: MessageTemplate, secret: string, settings: Settings, options: SendOptions): Promise<SendSummary> {
  const now = options.now ?? (() => new Date());
  const { config } = settings;
  const lock = acquireLock(db, `campaign:${issue.slug}`, now());
  if (!lock.acquired) {
    const { holder } = lock;
    throw new FintechWeeklyError(`another send of ${issue.slug} is running (process ${holder.pid} on ${holder.host}, since ${holder.acquiredAt})`, {
      hint: `Wait for it to finish and see its progress with \`fintechweekly status ${issue.slug}\`. A send whose process has died does not block: its lock is taken over.`,
    });
  }
  let transport: Transport | undefined;
  try {
    transport = await openTransport(settings, undefined);
    const started = now();
    const previous = findCampaign(db, issue.slug);
    if (previous?.content_hash && previous.content_hash !== issue.contentHash) {
      const already = countDeliveries(db, previous.id).sent;
      if (already) options.onProgress?.({ type: 'warning', message: `${issue.slug} changed since its send started: ${already} subscriber${already === 1 ? '' : 's'} received the earlier version, the rest get this one` });
    }
    const campaign = ensureCampaign(db, { slug: issue.slug, issuePath: path.relative(settings.root, issue.file), subject: template.subject, contentHash: issue.contentHash }, started);
    limitPageCache(db);
    const interrupted = markInterruptedUnknown(db, campaign.id, started);
    snapshotDeliveries(db, campaign, config.sender.fromEmail, started);
    markCampaignSending(db, campaign.id, started);
    const log = new DeliveryLog(db, campaign.id, options.retryUnknown ?? false);
    const before = countDeliveries(db, campaign.id);
    const open = before.pending + before.deferred + (options.retryUnknown ? before.unknown : 0);
    const total = options.limit === undefined ? open : Math.min(open, options.limit);
    options.onProgress?.({ type: 'start', total, interrupted, transport: transport.description });

    const connections = transport.connections;
    const claimSize = connections * 4;
    const limiter = new RateLimiter(options.rate ?? config.smtp.rate, Math.max(1, connections), started.getTime());
    const counts: SendCounts = { sent: 0, failed: 0, deferred: 0, unknown: 0, skipped: 0 };
    const attemptsThisRun = new Map<number, number>();
    const queue: Delivery[] = [];
    const retries: Retry[] = [];
    let cursor = 0;
    let claimed = 0;
    let listExhausted = false;
    let aborted: SmtpOutcome | undefined;
    let lastFlush = Date.now();
    let inFlight = 0;

    const progress = () => {
      const done = counts.sent + counts.failed + counts.unknown + counts.skipped + counts.deferred - retries.length;
      options.onProgress?.({ type: 'progress', counts: { ...counts }, done, total, elapsedMs: now().getTime() - started.getTime() });
    };

    /** Claims the next rows (due retries first) and commits `sending` for them with the results so far. */
    const refill = () => {
      const at = now();
      const rows: Delivery[] = [];
      while (rows.length < claimSize) {
        const i = retries.findIndex((r) => r.dueAt <= at.getTime());
        if (i < 0) break;
        rows.push(...retries.splice(i, 1).map((r) => r.row));
      }
      const room = Math.min(claimSize - rows.length, options.limit === undefined ? Infinity : options.limit - claimed);
      if (!listExhausted && room > 0) {
        const fresh = log.next(cursor, room);
        if (fresh.length < room) listExhausted = true;
        const last = fresh[fresh.length - 1];
        if (last) cursor = last.id;
        claimed += fresh.length;
        rows.push(...fresh);
      }
      if (options.limit !== undefined && claimed >= options.limit) listExhausted = true;
      if (!rows.length) return;
      const { started: ready, skipped } = log.begin(rows, at);
      lastFlush = Date.now();
      queue.push(...ready);
      counts.skipped += skipped.length;
      // A retried row is counted once, as its final outcome.
      for (const row of [...ready, ...skipped]) if (attemptsThisRun.has(row.id)) counts.deferred--;
      if (skipped.length) progress();
    };

    const settle = (row: Delivery, outcome: SmtpOutcome) => {
      const at = now();
      const base = { id: row.id, code: outcome.code, reply: outcome.reply, at };
      if (outcome.kind === 'deferred') {
        const attempt = (attemptsThisRun.get(row.id) ?? 0) + 1;
        attemptsThisRun.set(row.id, attempt);
        counts.deferred++;
        const retryInThisRun = attempt < config.send.maxAttempts;
        // Out of attempts for this run, the row still says when a later run (dispatch) may try
        // again: after the longest backoff, so a throttling server is not asked by every cron run.
        const delaySeconds = retryInThisRun ? retryDelaySeconds(attempt, config.send.retryBaseSeconds, config.send.retryMaxSeconds) : config.send.retryMaxSeconds;
        const dueAt = new Date(at.getTime() + delaySeconds * 1000);
        log.record({ ...base, state: 'deferred', nextAttemptAt: dueAt });
        if (retryInThisRun) {
          retries.push({ row: { ...row, state: 'deferred' }, dueAt: dueAt.getTime() });
          options.onProgress?.({ type: 'retry', email: row.email, reply: outcome.reply, attempt, delaySeconds });
        }
      } else if (outcome.kind !== 'abort') {
        counts[outcome.kind]++;
        log.record({ ...base, state: outcome.kind });
      }
      // Results wait for the next claim's transaction; only a quiet tail needs its own commit.
      if (log.unflushed >= 256 || Date.now() - lastFlush > 500) {
        log.flush();
        lastFlush = Date.now();
      }
      progress();
    };

    const worker = async () => {
      for (;;) {
        if (aborted) return;
        if (!queue.length) refill();
        const row = queue.shift();
        if (!row) {
          if (listExhausted && !retries.length) {
            // Another worker's send may still come back deferred: wait for it before leaving.
            if (inFlight === 0) return;
            await sleep(50);
            continue;
          }
          const nextDue = Math.min(...retries.map((r) => r.dueAt));
          await sleep(Math.max(10, Math.min(1000, (Number.isFinite(nextDue) ? nextDue : 0) - now().getTime())));
          continue;
        }
        const wait = limiter.reserve(now().getTime());
        if (wait > 0) await sleep(wait);
        inFlight++;
        let outcome: SmtpOutcome;
        try {
          let message;
          try {
            message = personalizeMessage(template, { email: row.email, name: row.name, messageId: row.messageId, token: createUnsubscribeToken(secret, row.subscriberId ?? 0, row.email), deliveryId: row.id });
          } catch (error) {
            // This one address cannot be put into a message (it never can): it fails, the run goes on.
            settle(row, { kind: 'failed', code: undefined, reply: `not sent: ${(error as Error).message}` });
            continue;
          }
          // The transport reports SMTP trouble as outcomes; anything it throws (a DKIM key that
          // cannot sign) would fail every message, so it stops the run like a refused login.
          outcome = await (transport as Transport).send(message).catch((error: unknown) => ({ kind: 'abort' as const, code: undefined, reply: (error as Error).message, fix: 'server' as const }));
        } finally {
          inFlight--;
        }
        if (outcome.kind === 'abort') {
          aborted ??= outcome;
          log.revert([row], now());
          continue;
        }
        settle(row, outcome);
      }
    };

    await Promise.all(Array.from({ length: connections }, worker));
    const ended = now();
    log.revert(queue.splice(0), ended);
    log.flush();
    if (aborted) {
      const fix = aborted.fix ?? 'server';
      throw new FintechWeeklyError(`the send of ${issue.slug} stopped: ${aborted.reply} (${counts.sent} sent before it stopped; nothing else was marked sent)`, { hint: ABORT_HINTS[fix], exitCode: EXIT.error });
    }
    finishCampaign(db, campaign.id, ended);
    const after = countDeliveries(db, campaign.id);
    const durationMs = ended.getTime() - started.getTime();
    const attempted = counts.sent + counts.failed + counts.unknown + counts.deferred;
    return {
      slug: issue.slug,
      subject: template.subject,
      ...counts,
      total,
      durationMs,
      messagesPerSecond: durationMs > 0 ? Math.round((attempted / durationMs) * 10000) / 10 : attempted,
      log: after,
      limited: options.limit !== undefined && after.pending > 0,
      incomplete: after.deferred + after.unknown > 0,
    };
  } finally {
    await transport?.close();
    lock.release();
  }
}

/** --outbox: every active subscriber's message as an .eml file; the send log is not touched. */
async function writeOutbox(db: Db, template: MessageTemplate, secret: string, settings: Settings, options: SendOptions): Promise<SendSummary> {
  const now = options.now ?? (() => new Date());
  const dir = path.resolve(options.outbox as string);
  const transport = await openOutboxTransport(dir);
  const started = now();
  const rows = listSubscribers(db, { status: 'active' });
  const counts: SendCounts = { sent: 0, failed: 0, deferred: 0, unknown: 0, skipped: 0 };
  let total = 0;
  for (const row of rows) {
    if (options.limit !== undefined && total >= options.limit) break;
    total++;
    const message = personalizeMessage(template, { ...row, messageId: deliveryMessageId(template.slug, row.email, settings.config.sender.fromEmail), token: createUnsubscribeToken(secret, row.id, row.email) });
    await transport.send(message);
    counts.sent++;
    if (counts.sent % 100 === 0) options.onProgress?.({ type: 'progress', counts: { ...counts }, done: counts.sent, total, elapsedMs: now().getTime() - started.getTime() });
  }
  const durationMs = now().getTime() - started.getTime();
  const campaign = findCampaign(db, template.slug);
  return {
    slug: template.slug,
    subject: template.subject,
    ...counts,
    total,
    durationMs,
    messagesPerSecond: durationMs > 0 ? Math.round((counts.sent / durationMs) * 10000) / 10 : counts.sent,
    log: campaign ? countDeliveries(db, campaign.id) : { pending: 0, sending: 0, sent: 0, deferred: 0, failed: 0, unknown: 0, skipped: 0 },
    limited: false,
    incomplete: false,
    outbox: dir,
  };
}
