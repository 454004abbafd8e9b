import { classify, normalizeText, type BounceClass, type Reason } from './classify.js';
import { addressField, ADDRESS_GLOBAL, diagnosticField, findAddress, normalizeAddress, parseFieldGroups, type FieldGroup } from './fields.js';
import { decodedHeader, header, headerAll, isEnclosure, parseMessage, textOf, walk, type MimePart } from './mime.js';
import { AUTO_REPLY_BODY, autoReplyHeaders, BOUNCE_BODY, fromMailSystem, hasAutoReplyPrefix, isAutoReplySubject, isBounceSubject, isDelaySubject, subjectOf } from './signals.js';
import { cutReturnedMessage, diagnosticText, isSystemAddress, recipientsFromText } from './text-report.js';

/**
 * Reads one returned message: what kind it is, which recipients it is about and why they failed,
 * and what ties it to the message we sent (the addresses it was sent to, where a VERP token sits,
 * and the Message-IDs it quotes). Pure: bytes in, a description out; never throws on bad input.
 */

export type BounceKind = 'bounce' | 'complaint' | 'auto-reply' | 'delayed' | 'other';

export interface BounceRecipient {
  address: string;
  /** Enhanced status code (5.1.1); null for complaints. */
  status: string | null;
  class: BounceClass;
  /** Why, in a word (user-unknown, mailbox-full, blocked, ...); `complaint` for complaints. */
  reason: Reason | 'complaint';
  diagnostic: string;
}

export interface ReadBounce {
  kind: BounceKind;
  recipients: BounceRecipient[];
  /** The bounce's own Message-ID, without brackets. */
  messageId: string | undefined;
  /** Where the bounce was addressed (To, Delivered-To, X-Original-To...) and the returned message's Return-Path: a VERP address is among them. */
  sentTo: string[];
  /** Message-IDs of the message it is about (enclosed headers, text, In-Reply-To/References), without brackets. */
  originalMessageIds: string[];
  /** Problems reading it that are worth a line in the scan's report. */
  problems: string[];
}

const RECIPIENT_FIELDS = ['final-recipient', 'original-recipient', 'x-actual-recipient'] as const;

export function readBounce(raw: Buffer): ReadBounce {
  // V8 keeps a substring as a slice of the string it was cut from, so a diagnostic would hold on to
  // the whole returned message. A scan keeps each result for a batch after its message is read:
  // copying the few short strings lets the message's text die young, and memory stays flat.
  return structuredClone(readParts(raw));
}

function readParts(raw: Buffer): ReadBounce {
  let root: MimePart;
  try {
    root = parseMessage(raw);
  } catch (error) {
    return { kind: 'other', recipients: [], messageId: undefined, sentTo: [], originalMessageIds: [], problems: [`unreadable message: ${(error as Error).message}`] };
  }
  const { problems } = root;
  const parts = [...walk(root)];
  if (root.headers.map.size === 0) problems.push('no message headers');
  const enclosed = parts.filter((p) => isEnclosure(p.type)).map((p) => p.enclosed as MimePart);
  const messageId = bare(header(root.headers, 'message-id'));
  const sentTo = uniq(
    [
      ...['to', 'delivered-to', 'x-original-to', 'envelope-to', 'x-envelope-to', 'x-rcpt-to', 'x-delivered-to', 'cc'].flatMap((name) => headerAll(root.headers, name)),
      // The returned message's Return-Path is the envelope sender it was sent with: the VERP address
      // even when a relay sends the bounce somewhere else.
      ...enclosed.flatMap((m) => headerAll(m.headers, 'return-path')),
    ].flatMap((value) => [...value.matchAll(ADDRESS_GLOBAL)].map((m) => normalizeAddress(m[1] as string))),
  );
  const originalMessageIds = quotedMessageIds(root, enclosed);
  const human = humanText(root, parts);
  // Addresses that are never the failed recipient: who received the bounce and who sent it, and the
  // returned message's sender. (X-Original-To is left out: some MTAs put the failed address there.)
  const receivedBy = ['to', 'cc', 'delivered-to', 'envelope-to'].flatMap((name) => headerAll(root.headers, name)).flatMap((value) => [...value.matchAll(ADDRESS_GLOBAL)].map((m) => normalizeAddress(m[1] as string)));
  const ignore = new Set<string>([...receivedBy, ...ownAddresses(root), ...enclosed.flatMap(senderAddresses)]);
  const base = { messageId, sentTo, originalMessageIds, problems };

  // Apple Mail's Unsubscribe button mails the list's address for the reader: their own wish to leave, so it is acted on as a complaint.
  if (/^(?:true|yes)$/i.test((header(root.headers, 'x-apple-unsubscribe') ?? '').trim())) {
    const address = findAddress(decodedHeader(root.headers, 'from') ?? '');
    return { ...base, kind: 'complaint', recipients: address ? [{ address, status: null, class: 'hard', reason: 'complaint', diagnostic: 'unsubscribe request (Apple Mail)' }] : [] };
  }

  // Complaints first: a feedback report also carries the original message and may look like a bounce.
  const complaint = readComplaint(root, parts, enclosed, human);
  if (complaint) return { ...base, kind: 'complaint', recipients: complaint.map((address) => ({ address, status: null, class: 'hard', reason: 'complaint', diagnostic: feedbackType(parts) })) };

  const ses = readSesNotification(human);
  if (ses) return { ...base, ...ses };

  // Some MTAs label the delivery-status part text/plain, or write its fields into the text.
  const reports = parts.filter((p) => p.type === 'message/delivery-status' || p.type === 'message/global-delivery-status');
  if (!reports.length) reports.push(...parts.filter((p) => p.type === 'text/plain' && p.children.length === 0 && /^final-recipient:/im.test(textOf(p)) && /^(?:action|status):/im.test(textOf(p))));
  if (reports.length) {
    const dsn = readDeliveryStatus(reports, human, subjectOf(root));
    if (dsn) return { ...base, ...dsn };
  }

  // Read receipts (RFC 8098) are not about delivery.
  if (parts.some((p) => p.type === 'message/disposition-notification')) return { ...base, kind: 'other', recipients: [] };

  const subject = subjectOf(root);
  const daemon = fromMailSystem(root);
  const bounceSubject = isBounceSubject(subject);
  const delaySubject = isDelaySubject(subject);
  // A person's mail system answering by itself: never a bounce, even when its subject quotes one.
  if (!daemon && (autoReplyHeaders(root) || hasAutoReplyPrefix(subject) || (!bounceSubject && !delaySubject && isAutoReplySubject(subject)))) return { ...base, kind: 'auto-reply', recipients: [] };

  const cut = normalizeText(cutReturnedMessage(human));
  // A person's reply may quote a bounce; a report's own first lines say what it is.
  const reportBody = BOUNCE_BODY.test(cut.slice(0, 1500)) && header(root.headers, 'in-reply-to') === undefined;
  const looksLikeBounce = daemon || bounceSubject || header(root.headers, 'x-failed-recipients') !== undefined || reportBody;
  if (!looksLikeBounce && !delaySubject) return { ...base, kind: !daemon && AUTO_REPLY_BODY.test(cut.slice(0, 600)) ? 'auto-reply' : 'other', recipients: [] };
  if (delaySubject && !bounceSubject && !/permanent|failed|could not be delivered|undeliverable/.test(cut.slice(0, 2000))) {
    const found = recipientsFromText(human, ignore);
    return { ...base, kind: 'delayed', recipients: found.map(({ address, diagnostic }) => recipient(address, { action: 'delayed', diagnostic })) };
  }

  let found = recipientsFromText(human, ignore);
  const failedHeader = headerAll(root.headers, 'x-failed-recipients').flatMap((v) => [...v.matchAll(ADDRESS_GLOBAL)].map((m) => normalizeAddress(m[1] as string)));
  if (failedHeader.length) {
    // Exim names the failed recipients in a header; the text gives their diagnostics.
    found = failedHeader.map((address) => found.find((f) => f.address === address) ?? { address, diagnostic: diagnosticText(cutReturnedMessage(human)) });
  }
  if (found.length === 0) {
    const to = enclosed.map((m) => findAddress(header(m.headers, 'to') ?? '')).find((a): a is string => a !== undefined && !ignore.has(a));
    if (to) found = [{ address: to, diagnostic: diagnosticText(cutReturnedMessage(human)) }];
    else problems.push('a bounce, but no recipient address could be found in it');
  }
  return { ...base, kind: 'bounce', recipients: found.map(({ address, diagnostic }) => recipient(address, { action: 'failed', diagnostic })) };
}

function recipient(address: string, input: { action: string; status?: string | undefined; diagnostic: string }): BounceRecipient {
  const verdict = classify(input);
  return { address, status: verdict.status, class: verdict.class, reason: verdict.reason, diagnostic: input.diagnostic.slice(0, 1000) };
}

/** RFC 3464: one per-recipient group per address; failed ones make a bounce, delayed ones (only) a delay notice. */
function readDeliveryStatus(reports: MimePart[], human: string, subject: string): Pick<ReadBounce, 'kind' | 'recipients'> | undefined {
  const groups: FieldGroup[] = reports.flatMap((part) => parseFieldGroups(textOf(part), [...RECIPIENT_FIELDS]));
  const perRecipient = groups.filter((g) => RECIPIENT_FIELDS.some((f) => g.has(f)));
  if (perRecipient.length === 0) return undefined;
  const fromText = new Map(recipientsFromText(human, new Set()).map((r) => [r.address, r.diagnostic]));
  const failed: BounceRecipient[] = [];
  const delayed: BounceRecipient[] = [];
  const seen = new Set<string>();
  let unreadable = 0;
  for (const group of perRecipient) {
    const address = addressField(group.get('final-recipient')) ?? addressField(group.get('original-recipient')) ?? addressField(group.get('x-actual-recipient'));
    if (!address) {
      unreadable++;
      continue;
    }
    let action = (group.get('action') ?? '').toLowerCase().trim().split(/\s/)[0] ?? '';
    // SendGrid writes "expired" for a message it gave up on.
    if (action === 'expired') action = 'failed';
    const status = group.get('status');
    if (!action) action = status?.trim().startsWith('2') ? 'delivered' : /\bdelay/.test(subject) && !status?.trim().startsWith('5') ? 'delayed' : 'failed';
    if (action !== 'failed' && action !== 'delayed') continue;
    const key = `${action}:${address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const original = addressField(group.get('original-recipient'));
    const diagnostic = diagnosticField(group.get('diagnostic-code')) ?? fromText.get(address) ?? (original ? fromText.get(original) : undefined) ?? diagnosticField(group.get('x-postfix-reason')) ?? '';
    const entry = recipient(address, { action, status, diagnostic: diagnosticText(diagnostic) });
    (action === 'failed' ? failed : delayed).push(entry);
  }
  if (failed.length) return { kind: 'bounce', recipients: failed };
  if (delayed.length) return { kind: 'delayed', recipients: delayed };
  // Recipients given as a mailbox path (Exim's "save to /var/mail/...") or a bare "@domain": the text knows who they were.
  if (unreadable) return undefined;
  return { kind: 'other', recipients: [] };
}

const FEEDBACK_SENDERS = /staff@hotmail\.com|feedbackloop|fbl@|fbl-|scomp@aol\.net|abuse-report|complaints?@|arf@|feedback@|abuse@|spamcop/i;

/** RFC 5965 ARF, and the older Microsoft JMRP and AOL reports: who complained. Undefined when it is no complaint. */
function readComplaint(root: MimePart, parts: MimePart[], enclosed: MimePart[], human: string): string[] | undefined {
  const report = parts.find((p) => p.type === 'message/feedback-report');
  const reportType = (root.params['report-type'] ?? '').toLowerCase();
  const arfLike = report !== undefined || reportType === 'feedback-report';
  const from = decodedHeader(root.headers, 'from') ?? '';
  const subject = subjectOf(root);
  const jmrpLike =
    !arfLike &&
    enclosed.length > 0 &&
    (FEEDBACK_SENDERS.test(from) || /complaint|abuse report|feedback loop|spam report|reported as spam|marked as spam|client tos notification|\[spamcop/.test(subject)) &&
    !parts.some((p) => p.type === 'message/delivery-status');
  const fields = report ? (parseFieldGroups(textOf(report))[0] ?? new Map<string, string>()) : inlineFeedbackFields(human);
  if (!arfLike && !jmrpLike && !fields.has('feedback-type')) return undefined;
  const type = (fields.get('feedback-type') ?? 'abuse').toLowerCase();
  // An auth-failure report (RFC 6591, DMARC forensic) is about our DNS and signatures, not about anything a reader did.
  if (type === 'not-spam' || type === 'delivery' || type === 'auth-failure') return undefined;
  const addresses = new Set<string>();
  const rcpt = addressField(fields.get('original-rcpt-to'));
  if (rcpt) addresses.add(rcpt);
  if (addresses.size === 0) {
    for (const message of enclosed) {
      for (const name of ['x-hmxmroriginalrecipient', 'x-original-to', 'to', 'delivered-to']) {
        const address = findAddress(decodedHeader(message.headers, name) ?? '');
        if (address && !address.includes('redacted') && !isSystemAddress(address)) {
          addresses.add(address);
          break;
        }
      }
      if (addresses.size) break;
    }
  }
  return [...addresses];
}

function inlineFeedbackFields(text: string): FieldGroup {
  const match = /^Feedback-Type:\s*\S+[\s\S]*$/im.exec(text);
  return match ? (parseFieldGroups(match[0])[0] ?? new Map()) : new Map();
}

function feedbackType(parts: MimePart[]): string {
  const report = parts.find((p) => p.type === 'message/feedback-report');
  const fields = report ? parseFieldGroups(textOf(report))[0] : undefined;
  return `feedback-type: ${fields?.get('feedback-type') ?? 'abuse'}`;
}

/** Amazon SES notifications forwarded by email (SNS email-json): the JSON says it all. */
function readSesNotification(text: string): Pick<ReadBounce, 'kind' | 'recipients'> | undefined {
  if (!/\\?"(?:notificationType|eventType)\\?"/.test(text)) return undefined;
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  let data = parseJsonObject(text.slice(start, end + 1));
  // SNS delivers the SES notification as a JSON string in the envelope's "Message".
  if (data && typeof data.Message === 'string') data = parseJsonObject(data.Message);
  if (!data) return undefined;
  const type = String(data.notificationType ?? data.eventType ?? '');
  if (type === 'Complaint') {
    const complaint = data.complaint as { complainedRecipients?: { emailAddress?: string }[]; complaintFeedbackType?: string } | undefined;
    const recipients = (complaint?.complainedRecipients ?? []).map((r) => findAddress(r.emailAddress ?? '')).filter((a): a is string => a !== undefined);
    return { kind: 'complaint', recipients: recipients.map((address) => ({ address, status: null, class: 'hard', reason: 'complaint', diagnostic: `feedback-type: ${complaint?.complaintFeedbackType ?? 'abuse'}` })) };
  }
  if (type !== 'Bounce') return undefined;
  const bounce = data.bounce as { bounceType?: string; bounceSubType?: string; bouncedRecipients?: { emailAddress?: string; status?: string; diagnosticCode?: string; action?: string }[] } | undefined;
  const permanent = bounce?.bounceType === 'Permanent';
  const recipients = (bounce?.bouncedRecipients ?? []).flatMap((r) => {
    const address = findAddress(r.emailAddress ?? '');
    if (!address) return [];
    const diagnostic = diagnosticField(r.diagnosticCode) ?? `Amazon SES: ${bounce?.bounceType ?? ''} ${bounce?.bounceSubType ?? ''}`.trim();
    const entry = recipient(address, { action: 'failed', status: r.status, diagnostic });
    // SES's own verdicts on the address itself (its suppression lists, "no email") are hard.
    if (permanent && /^(?:NoEmail|Suppressed|OnAccountSuppressionList)$/.test(bounce?.bounceSubType ?? '')) return [{ ...entry, class: 'hard' as const, reason: entry.class === 'hard' ? entry.reason : ('user-unknown' as const) }];
    if (!permanent) return [{ ...entry, class: 'soft' as const }];
    return [entry];
  });
  return { kind: 'bounce', recipients };
}

/** A JSON object, or undefined. Mail transport folds long lines, which puts a line break and a space inside a JSON string: undone when the text does not parse as it is. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  for (const candidate of [text, text.replace(/\r?\n[ \t]/g, '')]) {
    try {
      const value: unknown = JSON.parse(candidate);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // the next candidate
    }
  }
  return undefined;
}

/** The text a person would read: the first text/plain part outside enclosed messages, else the HTML's text. */
function humanText(root: MimePart, parts: MimePart[]): string {
  const texts = parts.filter((p) => p.type === 'text/plain' && p.children.length === 0);
  if (texts.length) return texts.map(textOf).join('\n\n');
  const html = parts.find((p) => p.type === 'text/html');
  if (html) return htmlToLines(textOf(html));
  return root.children.length === 0 && !isEnclosure(root.type) ? textOf(root) : '';
}

/** Enough of HTML for reading a bounce: block elements become line breaks, tags and entities go. */
function htmlToLines(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, '')
    .replace(/<(?:br|\/p|\/div|\/tr|\/li|\/h\d|\/table|p|div|tr|li)\b[^>]*>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ');
}

function quotedMessageIds(root: MimePart, enclosed: MimePart[]): string[] {
  const ids: string[] = [];
  for (const message of enclosed) {
    const id = bare(header(message.headers, 'message-id'));
    if (id) ids.push(id);
  }
  // Bounces that quote the original headers as text (text/plain returned headers, qmail, Yahoo).
  for (const part of walk(root)) {
    if (part.type !== 'text/plain' || part.children.length) continue;
    for (const match of textOf(part).slice(0, 200_000).matchAll(/^\s*>?\s*message-id:\s*<([^>\s]{3,250})>/gim)) ids.push(match[1] as string);
  }
  for (const name of ['in-reply-to', 'references']) {
    for (const match of (header(root.headers, name) ?? '').matchAll(/<([^>\s]{3,250})>/g)) ids.push(match[1] as string);
  }
  return uniq(ids);
}

function ownAddresses(root: MimePart): string[] {
  return ['from', 'sender', 'return-path', 'reply-to'].map((name) => findAddress(header(root.headers, name) ?? '')).filter((a): a is string => a !== undefined);
}

function senderAddresses(message: MimePart): string[] {
  return ['from', 'sender', 'return-path', 'reply-to'].map((name) => findAddress(header(message.headers, name) ?? '')).filter((a): a is string => a !== undefined);
}

function bare(id: string | undefined): string | undefined {
  const match = id ? /<?([^<>\s]+)>?/.exec(id) : null;
  return match?.[1];
}

function uniq<T>(items: T[]): T[] {
  return [...new Set(items)];
}
