import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { parseVerpToken, verifyVerpToken, verpTokenIn } from '../core/message/verp.js';
import { isGuessableMessageId } from '../core/message/message-id.js';
import { MAX_MESSAGE_BYTES, type MailboxMessage } from '../bounces/mailbox/mailbox.js';
import { openMailbox } from '../bounces/mailbox/open-mailbox.js';
import { readBounce, type BounceKind, type BounceRecipient, type ReadBounce } from '../bounces/parse/read-bounce.js';
import { openDb, type Db } from '../store/db.js';
import { limitPageCache } from '../store/deliveries.js';
import { deliveryById, deliveryByMessageId, openStoreReadOnly, recordBounceEvents, type BounceDecision, type BounceEvent, type BouncedDelivery } from '../store/bounces.js';

/**
 * `bounces scan SOURCE` and the bounce part of `dispatch`: reads every message of a mailbox,
 * tells what it is, ties bounces and complaints to the delivery they are about (by the VERP token
 * in the address they came back to, else by the original Message-ID they quote), and applies the
 * policy (store/bounces.ts). A message that matches no delivery of ours changes nothing. Results
 * are committed in batches; IMAP messages are marked processed only after their batch is committed,
 * so a crash means a rescan, never a lost bounce. --dry-run opens the store read-only and marks nothing.
 */

export interface ScanBouncesInput {
  /** A Maildir, an mbox file, .eml files or folders of them, or one imaps:// URL. */
  sources: readonly string[];
  dryRun?: boolean | undefined;
}

export interface ScannedMessage {
  /** The path (path#n in an mbox), or `uid N` on IMAP. */
  file: string;
  kind: BounceKind;
  recipients: BounceRecipient[];
  delivery: { issue: string; address: string } | null;
  matchedBy: 'verp' | 'message-id' | null;
  /** What the scan did to the subscriber; `already` when an earlier scan recorded this message; null when nothing was to be done. */
  decision: BounceDecision | 'already' | null;
  /** Problems with this message, one line each. */
  problems: string[];
}

export interface ScanBouncesReport {
  source: string;
  dryRun: boolean;
  messages: number;
  kinds: Record<BounceKind, number>;
  matched: number;
  /** Bounces and complaints that match no delivery of ours. */
  unmatched: number;
  bounced: number;
  counted: number;
  unsubscribed: number;
  already: number;
  problems: number;
  durationMs: number;
}

export interface ScanBouncesDeps {
  now?: () => Date;
  /** Each message's result, in order, once its batch is committed. */
  onMessage?: (message: ScannedMessage) => void;
  /** A problem with the scan as a whole (not one message), one line. */
  onWarning?: (line: string) => void;
}

const BATCH_MESSAGES = 200;
const BATCH_MS = 1000;

export async function scanBounces(settings: Settings, input: ScanBouncesInput, deps: ScanBouncesDeps = {}): Promise<ScanBouncesReport> {
  const now = deps.now ?? (() => new Date());
  const dryRun = input.dryRun ?? false;
  const started = Date.now();
  const { bounce } = settings.config;
  const secret = settings.secrets.unsubscribeSecret;
  if (!bounce.address) deps.onWarning?.('bounce.address is not set in the config: messages carry no VERP token, so bounces are matched only by the Message-ID they quote');
  else if (!secret) deps.onWarning?.('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: VERP tokens cannot be checked, so bounces are matched only by the Message-ID they quote');

  const mailbox = await openMailbox(input.sources, { imapPassword: settings.secrets.imapPassword, processedFolder: bounce.processedFolder, dryRun });
  const db: Db | undefined = dryRun ? openStoreReadOnly(settings.dbPath) : openDb(settings.dbPath);
  // Lookups touch each delivery once: a small page cache keeps memory flat however long the mailbox.
  if (db && !dryRun) limitPageCache(db);
  const report: ScanBouncesReport = {
    source: mailbox.description,
    dryRun,
    messages: 0,
    kinds: { bounce: 0, complaint: 0, 'auto-reply': 0, delayed: 0, other: 0 },
    matched: 0,
    unmatched: 0,
    bounced: 0,
    counted: 0,
    unsubscribed: 0,
    already: 0,
    problems: 0,
    durationMs: 0,
  };
  const batch: { message: ScannedMessage; event: BounceEvent | undefined; id: string }[] = [];
  let batchStarted = Date.now();

  const flush = async () => {
    if (!batch.length) return;
    const events = batch.map((b) => b.event).filter((e): e is BounceEvent => e !== undefined);
    const recorded = db && !dryRun && events.length ? recordBounceEvents(db, events, { softLimit: bounce.softLimit, now: now() }) : [];
    let i = 0;
    for (const entry of batch) {
      if (entry.event && !dryRun) {
        const result = recorded[i++];
        entry.message.decision = result ? (result.recorded ? result.decision : 'already') : null;
        if (entry.message.decision === 'bounced') report.bounced++;
        else if (entry.message.decision === 'counted') report.counted++;
        else if (entry.message.decision === 'unsubscribed') report.unsubscribed++;
        else if (entry.message.decision === 'already') report.already++;
      }
      deps.onMessage?.(entry.message);
    }
    await mailbox.markProcessed(batch.map((b) => b.id));
    batch.length = 0;
    batchStarted = Date.now();
  };

  try {
    for await (const raw of mailbox.messages()) {
      const message = scanOne(raw, db, settings, secret);
      report.messages++;
      report.kinds[message.message.kind]++;
      if (message.message.delivery) report.matched++;
      else if (message.message.kind === 'bounce' || message.message.kind === 'complaint') report.unmatched++;
      report.problems += message.message.problems.length;
      batch.push({ ...message, id: raw.id });
      if (batch.length >= BATCH_MESSAGES || Date.now() - batchStarted > BATCH_MS) await flush();
    }
    await flush();
  } finally {
    db?.close();
    await mailbox.close();
  }
  report.durationMs = Date.now() - started;
  return report;
}

/** For `dispatch`: scans config bounce.source when it is set (a relative path is read from the project folder). */
export async function scanConfiguredBounces(settings: Settings, deps: ScanBouncesDeps = {}): Promise<ScanBouncesReport | undefined> {
  const source = settings.config.bounce.source;
  if (!source) return undefined;
  const resolved = /^imaps?:\/\//i.test(source) ? source : path.resolve(settings.root, source);
  return scanBounces(settings, { sources: [resolved] }, deps);
}

function scanOne(raw: MailboxMessage, db: Db | undefined, settings: Settings, secret: string | undefined): { message: ScannedMessage; event: BounceEvent | undefined } {
  const problems: string[] = [];
  if (raw.error) {
    problems.push(raw.error);
    return { message: { file: raw.id, kind: 'other', recipients: [], delivery: null, matchedBy: null, decision: null, problems }, event: undefined };
  }
  if (raw.size > MAX_MESSAGE_BYTES) problems.push(`the message is ${(raw.size / 1024 / 1024).toFixed(1)} MB: only its first ${MAX_MESSAGE_BYTES / 1024 / 1024} MB were read`);
  const read = readBounce(raw.raw);
  problems.push(...read.problems);
  const message: ScannedMessage = { file: raw.id, kind: read.kind, recipients: read.recipients, delivery: null, matchedBy: null, decision: null, problems };
  if (read.kind !== 'bounce' && read.kind !== 'complaint') return { message, event: undefined };

  const match = db ? findDelivery(db, read, settings.config.bounce.address, secret, problems) : undefined;
  if (!match) {
    const about = read.recipients.map((r) => r.address).join(', ') || 'no address';
    problems.push(`${read.kind} for ${about} matches no delivery of ours (no valid VERP token, no Message-ID we sent): nothing changed`);
    return { message, event: undefined };
  }
  const { delivery, matchedBy } = match;
  message.delivery = { issue: delivery.issue, address: delivery.email };
  message.matchedBy = matchedBy;
  // Our message had one recipient: the report's line about it, or its only line (a forwarded address).
  // A complaint report may hide who complained (redacted addresses): the delivery says who it was.
  const recipient =
    read.recipients.find((r) => r.address === delivery.email.toLowerCase()) ??
    (read.recipients.length === 1 ? read.recipients[0] : undefined) ??
    (read.kind === 'complaint' ? { address: delivery.email.toLowerCase(), status: null, class: 'hard' as const, reason: 'complaint' as const, diagnostic: 'feedback report' } : undefined);
  if (!recipient) {
    problems.push(`${read.kind} matches the delivery of ${delivery.issue} to ${delivery.email}, but does not say what happened to that address: nothing changed`);
    return { message, event: undefined };
  }
  return {
    message,
    event: {
      messageKey: read.messageId ?? `sha256:${createHash('sha256').update(raw.raw).digest('hex').slice(0, 40)}`,
      address: recipient.address,
      kind: read.kind,
      class: read.kind === 'complaint' ? null : recipient.class,
      status: recipient.status,
      reason: recipient.reason,
      diagnostic: recipient.diagnostic,
      delivery,
      matchedBy,
      source: raw.id,
    },
  };
}

function findDelivery(db: Db, read: ReadBounce, bounceAddress: string | undefined, secret: string | undefined, problems: string[]): { delivery: BouncedDelivery; matchedBy: 'verp' | 'message-id' } | undefined {
  if (bounceAddress) {
    for (const address of read.sentTo) {
      const token = verpTokenIn(address, bounceAddress);
      if (token === undefined) continue;
      const claimed = parseVerpToken(token);
      if (!claimed) {
        problems.push(`the VERP token in ${address} is malformed: ignored`);
        continue;
      }
      if (!secret) continue;
      const delivery = deliveryById(db, claimed.deliveryId);
      if (delivery && verifyVerpToken(secret, token, delivery.deliveryId, delivery.email)) return { delivery, matchedBy: 'verp' };
      problems.push(`the VERP token in ${address} has a bad signature (or names no delivery of ours): ignored`);
    }
  }
  for (const id of read.originalMessageIds) {
    const delivery = deliveryByMessageId(db, id);
    if (!delivery) continue;
    // Ids sent before they were random are computable from the issue and the address: no evidence.
    if (isGuessableMessageId(id, delivery.issue, delivery.email)) {
      problems.push(`the quoted Message-ID <${id}> is of the old kind anyone can compute from ${delivery.email} and the issue: not trusted`);
      continue;
    }
    return { delivery, matchedBy: 'message-id' };
  }
  return undefined;
}
