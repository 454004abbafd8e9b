import path from 'node:path';
import type { Settings } from '../config/load.js';
import { requireUnsubscribeSecret } from '../config/unsubscribe-secret.js';
import { FintechWeeklyError } from '../core/errors.js';
import type { BuildWarning } from '../core/issue/warnings.js';
import { headerBlock, personalizeMessage, type MessageTemplate } from '../core/message/compose.js';
import { deliveryMessageId } from '../core/message/message-id.js';
import { createUnsubscribeToken } from '../core/message/token.js';
import { emptyDeliveryCounts, type CampaignSource, type DeliveryCounts } from '../delivery/send-log.js';
import { SendRun, type SendCounts, type SendRunEvent } from '../delivery/send-run.js';
import { describeSmtp, openTransport, resolveSmtpSettings, type Transport } from '../delivery/transport.js';
import { composeIssue } from '../pipeline/compose-issue.js';

/**
 * Sending an issue to the list, for `send` and `dispatch`: build and compose once, then (after the
 * editor has seen what will happen) take the campaign's lock, open its send log and hand it to the
 * send engine. Progress goes to the event sink; nothing here prints or exits.
 */

export interface SendInput {
  /** The issue file or its slug. */
  ref: string;
  limit?: number | undefined;
  /** Messages per second; default config smtp.rate. */
  rate?: number | undefined;
  retryUnknown?: boolean | undefined;
  /** Only looking: a missing SMTP setup is not an error yet. */
  dryRun?: boolean | undefined;
  /** Write .eml files into this folder instead of sending (nothing is recorded). */
  outbox?: string | undefined;
}

/** The editor asks a send to stop (first Ctrl-C or SIGTERM), then to stop at once (the second). */
export interface StopSignals {
  stop: AbortSignal;
  halt: AbortSignal;
}

export interface SendDeps {
  store: CampaignSource;
  /** Opened once the campaign's lock is held. Default: the configured SMTP server, or the --outbox folder. */
  openTransport?: () => Promise<Transport>;
  now: () => Date;
  onEvent?: ((event: SendEvent) => void) | undefined;
  signals?: StopSignals | undefined;
}

export type SendEvent = { type: 'start'; total: number; interrupted: number; transport: string } | { type: 'warning'; message: string } | SendRunEvent;

export interface SendReport extends SendCounts {
  slug: string;
  subject: string;
  /** Deliveries this run worked on (its share of the list, after --limit). */
  total: number;
  durationMs: number;
  messagesPerSecond: number;
  /** The campaign's send log after the run, all runs together. */
  log: DeliveryCounts;
  /** The run ended early because of --limit. */
  limited: boolean;
  /** True when deliveries remain for a later run: deferred, unknown, or pending after a stop (exit code 75). */
  incomplete: boolean;
  /** Messages written with --outbox. */
  outbox?: string;
  /** The signal that stopped the run before its list was done. */
  stopped?: string;
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
  run(): Promise<SendReport>;
}

/** How long a stopped send waits for the messages in flight (at most smtp.messageTimeoutSeconds). */
export const STOP_GRACE_MS = 5000;

/** Everything up to the point of no return: build, compose, count. Nothing is written to the log. */
export async function prepareSend(settings: Settings, input: SendInput, deps: SendDeps): Promise<PreparedSend> {
  const secret = requireUnsubscribeSecret(settings);
  // Configuration problems are reported before anyone is asked to confirm.
  const destination = input.outbox ? `the folder ${path.resolve(input.outbox)}` : describeDestination(settings, input.dryRun ?? false);
  const { built, template } = await composeIssue(settings, input.ref, { now: deps.now() });
  const { store } = deps;
  const preview = store.previewRecipients(built.slug, input.retryUnknown ?? false, 5);
  const example = store.exampleRecipient() ?? { id: 1, email: 'subscriber@example.com', name: null };
  const headers = headerBlock(
    personalizeMessage(template, { ...example, messageId: deliveryMessageId(built.slug, settings.config.sender.fromEmail), token: createUnsubscribeToken(secret, example.id, example.email) }).raw,
  );
  const issue = { slug: built.slug, issuePath: path.relative(settings.root, built.file), subject: template.subject, contentHash: built.contentHash };
  return {
    slug: built.slug,
    subject: template.subject,
    from: `${settings.config.sender.fromName} <${settings.config.sender.fromEmail}>`,
    warnings: built.warnings,
    recipients: preview.count,
    sample: preview.sample,
    headers,
    destination,
    run: () => (input.outbox ? writeOutbox(settings, template, secret, input, deps) : deliver(settings, issue, template, secret, input, deps)),
  };
}

/** `send` without questions, for `dispatch`: prepare and run. */
export async function sendIssue(settings: Settings, input: SendInput, deps: SendDeps): Promise<SendReport> {
  return (await prepareSend(settings, input, deps)).run();
}

function describeDestination(settings: Settings, dryRun: boolean): string {
  try {
    return describeSmtp(resolveSmtpSettings(settings.config, settings.secrets, settings.root));
  } catch (error) {
    if (dryRun && error instanceof FintechWeeklyError) return `(no SMTP server yet: ${error.message})`;
    throw error;
  }
}

function rate(messages: number, durationMs: number): number {
  return durationMs > 0 ? Math.round((messages / durationMs) * 10000) / 10 : messages;
}

async function deliver(settings: Settings, issue: { slug: string; issuePath: string; subject: string; contentHash: string }, template: MessageTemplate, secret: string, input: SendInput, deps: SendDeps): Promise<SendReport> {
  const { config } = settings;
  const { store, now } = deps;
  const emit = (event: SendEvent) => deps.onEvent?.(event);
  const lock = store.lockCampaign(issue.slug, now());
  if (!lock.acquired) {
    const { holder } = lock;
    throw new FintechWeeklyError(`another send of ${issue.slug} is running (process ${holder.pid} on ${holder.host}, since ${holder.acquiredAt})`, {
      hint: `Wait for it to finish and see its progress with \`fintechweekly status ${issue.slug}\`. A send whose process has died does not block: its lock is taken over.`,
    });
  }
  let transport: Transport | undefined;
  const unlisten: (() => void)[] = [];
  try {
    transport = await (deps.openTransport ?? (() => openTransport(settings, undefined)))();
    const retryUnknown = input.retryUnknown ?? false;
    const opened = store.openCampaign(issue, { fromEmail: config.sender.fromEmail, retryUnknown }, now());
    if (opened.sentEarlierVersion) {
      const n = opened.sentEarlierVersion;
      emit({ type: 'warning', message: `${issue.slug} changed since its send started: ${n} subscriber${n === 1 ? '' : 's'} received the earlier version, the rest get this one` });
    }
    const run = new SendRun(
      {
        log: opened.log,
        transport,
        compose: (row) => personalizeMessage(template, { email: row.email, name: row.name, messageId: row.messageId, token: createUnsubscribeToken(secret, row.subscriberId ?? 0, row.email), deliveryId: row.id }),
        now,
        onEvent: emit,
      },
      {
        slug: issue.slug,
        rate: input.rate ?? config.smtp.rate,
        maxAttempts: config.send.maxAttempts,
        retryBaseSeconds: config.send.retryBaseSeconds,
        retryMaxSeconds: config.send.retryMaxSeconds,
        limit: input.limit,
        retryUnknown,
        stopGraceMs: Math.min(STOP_GRACE_MS, config.smtp.messageTimeoutSeconds * 1000),
      },
    );
    emit({ type: 'start', total: run.total, interrupted: opened.interrupted, transport: transport.description });
    const { signals } = deps;
    if (signals) {
      for (const [signal, act] of [
        [signals.stop, (reason: string) => run.stop(reason)],
        [signals.halt, (reason: string) => run.halt(reason)],
      ] as const) {
        const listener = () => act(String(signal.reason ?? 'stop'));
        if (signal.aborted) listener();
        else signal.addEventListener('abort', listener, { once: true });
        unlisten.push(() => signal.removeEventListener('abort', listener));
      }
    }
    const result = await run.run();
    const durationMs = result.endedAt.getTime() - result.startedAt.getTime();
    const { counts, log } = result;
    return {
      slug: issue.slug,
      subject: template.subject,
      ...counts,
      total: result.total,
      durationMs,
      messagesPerSecond: rate(counts.sent + counts.failed + counts.unknown + counts.deferred, durationMs),
      log,
      limited: input.limit !== undefined && log.pending > 0,
      incomplete: log.deferred + log.unknown > 0 || (result.stopped !== undefined && log.pending > 0),
      ...(result.stopped === undefined ? {} : { stopped: result.stopped }),
    };
  } finally {
    for (const stopListening of unlisten) stopListening();
    await transport?.close();
    lock.release();
  }
}

/** --outbox: every active subscriber's message as an .eml file; the send log is not touched. */
async function writeOutbox(settings: Settings, template: MessageTemplate, secret: string, input: SendInput, deps: SendDeps): Promise<SendReport> {
  const { now, store } = deps;
  const dir = path.resolve(input.outbox as string);
  const transport = await (deps.openTransport ?? (() => openTransport(settings, dir)))();
  const started = now();
  const counts: SendCounts = { sent: 0, failed: 0, deferred: 0, unknown: 0, skipped: 0 };
  let total = 0;
  for (const row of store.activeSubscribers()) {
    if (input.limit !== undefined && total >= input.limit) break;
    total++;
    // The recipient as one literal, not `{ ...row, messageId, token }`: see SendRun.settle.
    const message = personalizeMessage(template, { email: row.email, name: row.name, messageId: deliveryMessageId(template.slug, settings.config.sender.fromEmail), token: createUnsubscribeToken(secret, row.id, row.email) });
    await transport.send(message);
    counts.sent++;
    if (counts.sent % 100 === 0) deps.onEvent?.({ type: 'progress', counts: { ...counts }, done: counts.sent, total, elapsedMs: now().getTime() - started.getTime() });
  }
  const durationMs = now().getTime() - started.getTime();
  return {
    slug: template.slug,
    subject: template.subject,
    ...counts,
    total,
    durationMs,
    messagesPerSecond: rate(counts.sent, durationMs),
    log: store.countDeliveries(template.slug) ?? emptyDeliveryCounts(),
    limited: false,
    incomplete: false,
    outbox: dir,
  };
}
