import { ADDRESS_GLOBAL, normalizeAddress } from './fields.js';

/**
 * Recipients and their diagnostics from the human-readable text of a bounce, for the formats that
 * carry no delivery-status part (qmail, old Sendmail and Exim, Courier, Exchange's text, Yahoo,
 * Japanese and European providers' own wording), and to find the diagnostic of a delivery-status
 * recipient that has no Diagnostic-Code. Recipient lines in the wild:
 *   <a@b>: host mx[1.2.3.4] said: 550 5.1.1 ...     (Postfix)
 *     a@b                                            (Exim, Gmail: the diagnostic is indented below)
 *   <a@b>:                                           (qmail, Courier)
 *   a@b... User unknown                              (Sendmail)
 *   a@b (a@b)  /  Name (a@b)                         (Exchange)
 *   RCPT TO:<a@b>                                    (session transcripts)
 *   Recipient: a@b / Empfänger: a@b / 宛先: a@b       (providers' own forms)
 */

export interface TextRecipient {
  address: string;
  diagnostic: string;
}

/** Where the returned message (or its headers) starts in a bounce's text: nothing after it is about the failure. */
const RETURNED = [
  /^\s*-{2,}.{0,20}(?:original message|below this line is a copy|this is a copy of|returned message|undelivered message|the original message|message text follows|unsent message|headers? (?:of|follow)|copy of (?:the|your) message|returned mail|message headers)/i,
  /^\s*(?:received|return-path|dkim-signature|arc-seal|x-received|authentication-results|x-google-dkim-signature):/i,
  /^\s*-+\s*(?:original-message|forwarded message|ursprungliche nachricht|message d'origine|messaggio originale|mensaje original|mensagem original|元のメッセージ|原始邮件)/i,
  /^\s*original message headers:?\s*$/i,
];

export function cutReturnedMessage(text: string): string {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (RETURNED.some((pattern) => pattern.test(line)) && i > 0) return lines.slice(0, i).join('\n');
  }
  return text;
}

const ADDR = String.raw`[A-Za-z0-9.!#$%&'*+/=?^_\`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+`;
const LINE_PATTERNS: readonly RegExp[] = [
  new RegExp(String.raw`^\s*(?:rcpt to|recipient|original-recipient|final-recipient|failed recipient|to|an|a|para|per|destinataire|destinatario|empfanger|empfaenger|ontvanger|odbiorca|alici|penerima|получатель|宛先|送信先|收件人|收信人|수신자)[^:：<\n]{0,30}[:：]\s*(?:rfc822;\s*)?<?(${ADDR})>?(.*)$`, 'i'),
  new RegExp(String.raw`^\s*<(${ADDR})>\s*:?(.*)$`),
  new RegExp(String.raw`^\s*"?(${ADDR})"?\s*:?\s*$`),
  new RegExp(String.raw`^\s*(${ADDR})\s*(?:\.\.\.|:|\s-\s)\s*(.+)$`),
  new RegExp(String.raw`^\s*(${ADDR})\s+\(.*\)\s*(.*)$`),
  new RegExp(String.raw`^\s*[^<>@\n]{1,60}\s+[<(]\s*(${ADDR})\s*[>)]\s*:?\s*$`),
  new RegExp(String.raw`rcpt to:?\s*<(${ADDR})>(.*)$`, 'i'),
  new RegExp(String.raw`^\s*(?:delivery to|could not deliver to|unable to deliver to|failed to deliver to|your message to)\s+<?(${ADDR})>?[\s,:]*(.*)$`, 'i'),
  new RegExp(String.raw`(?:error|problem|failure) (?:while )?delivering (?:your )?(?:mail|message|e-?mail) to <?(${ADDR})>?[\s,.:]*(.*)$`, 'i'),
  new RegExp(String.raw`^\s*(${ADDR})\s+on\s+\d`),
];

export function recipientsFromText(text: string, ignore: ReadonlySet<string>): TextRecipient[] {
  // A bounce forwarded by a person arrives quoted ("> <a@b>: ..."): the quote marks go. Oracle
  // Messaging Server quotes the original's headers ("...with the following header fields: To: a@b"):
  // that To is whom the message was written to, not who failed.
  const body = cutReturnedMessage(text.replace(/^[ \t]*(?:>[ \t]?)+/gm, '').replace(/(following header fields:[ \t]*\n)(?:[ \t]*\n)?(?:[ \t]+\S.*(?:\n|$))+/i, '$1'));
  const lines = body.split('\n');
  const found: { address: string; line: number; rest: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/message-id|in-reply-to|references:|^\s*from:|envelope-from|mail from|return-path/i.test(line)) continue;
    for (const pattern of LINE_PATTERNS) {
      const match = pattern.exec(line);
      if (!match) continue;
      const address = normalizeAddress(match[1] as string);
      if (!ignore.has(address) && !isSystemAddress(address)) found.push({ address, line: i, rest: (match[2] ?? '').trim() });
      break;
    }
  }
  if (found.length === 0) {
    // Free text ("Your message to a@b could not be delivered because ..."): one distinct address is the recipient.
    const addresses = new Set<string>();
    for (const match of body.matchAll(ADDRESS_GLOBAL)) {
      const address = normalizeAddress(match[1] as string);
      if (!ignore.has(address) && !isSystemAddress(address)) addresses.add(address);
    }
    if (addresses.size === 1) return [{ address: [...addresses][0] as string, diagnostic: diagnosticText(body) }];
    return [];
  }
  const byAddress = new Map<string, TextRecipient>();
  found.forEach((entry, index) => {
    const next = found.slice(index + 1).find((f) => f.address !== entry.address)?.line ?? lines.length;
    const block = [entry.rest, ...collectBlock(lines, entry.line + 1, next)].filter(Boolean).join(' ');
    const existing = byAddress.get(entry.address);
    if (!existing) byAddress.set(entry.address, { address: entry.address, diagnostic: diagnosticText(block) });
    else if (block && !existing.diagnostic.includes(diagnosticText(block))) existing.diagnostic = diagnosticText(`${existing.diagnostic} ${block}`);
  });
  const recipients = [...byAddress.values()];
  // A report that lists addresses first and explains once below them ("The following addresses
  // failed: a, b. Reason: ..."): every recipient gets the shared explanation.
  if (recipients.every((r) => !/\d\.\d{1,3}\.\d|[245]\d\d|[a-z]{4,}/i.test(r.diagnostic))) {
    const shared = diagnosticText(lines.slice((found[found.length - 1] as { line: number }).line + 1).filter((line) => !MESSAGE_DETAIL.test(line)).join(' ')) || diagnosticText(body);
    for (const r of recipients) r.diagnostic = shared;
  }
  return recipients;
}

/**
 * The lines that belong to a recipient: up to the next recipient; a blank line ends them once a
 * reply code was seen (Gmail's and Lotus Notes' reports put the server's reply a paragraph or
 * two below the address).
 */
const MESSAGE_DETAIL = /^\s*(?:from|cc|bcc|subject|date|sent date|size|number of lines|mail from)\b[^:]{0,20}:/i;

function collectBlock(lines: readonly string[], from: number, to: number): string[] {
  const block: string[] = [];
  let paragraphs = 0;
  for (let i = from; i < Math.min(to, from + 25); i++) {
    const line = lines[i] as string;
    if (/^\s*$/.test(line)) {
      if (!block.length) continue;
      if (/\b[245]\d\d\b|\b[245]\.\d{1,3}\.\d{1,3}\b/.test(block.join(' ')) || ++paragraphs >= 3) break;
      continue;
    }
    // A summary of the message sent ("From: ...", "Subject: ...", "Size (in bytes): 39") says nothing about the failure.
    if (MESSAGE_DETAIL.test(line)) continue;
    block.push(line.trim());
  }
  return block;
}

const SYSTEM_LOCAL = /^(?:mailer-daemon|postmaster|mail-daemon|double-bounce|noreply|no-reply|do-not-reply|donotreply|abuse|root|hostmaster|webmaster|bounce|bounces|mdaemon)$/i;
export function isSystemAddress(address: string): boolean {
  const local = address.split('@')[0] ?? '';
  return SYSTEM_LOCAL.test(local) || /\+/.test(local) && /^bounces?\+/i.test(local);
}

/** A diagnostic as one line: Postfix's "host x[ip] said:" and "(in reply to ... command)" removed. */
export function diagnosticText(text: string): string {
  return text
    .replace(/\b(?:host|server) [^\s]+ ?\[[0-9a-f.:]+\] said:\s*/gi, '')
    // The command a reply answered is kept only for MAIL FROM: a rejection there is about the sender.
    .replace(/\(in reply to (?!mail from)[^)]*\)/gi, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 1000);
}
