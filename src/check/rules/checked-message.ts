import { simpleParser, type ParsedMail } from 'mailparser';

/**
 * A message as the checks see it. `text` comes only from text/plain parts: mailparser would
 * otherwise derive a text from the HTML and hide a missing text part.
 */
export interface CheckedMessage {
  /** The top-level Content-Type, lower case, without parameters. */
  contentType: string;
  /** Unfolded header values by lower-case name, in order; encoded words left as they are. */
  headers: ReadonlyMap<string, string[]>;
  subject: string;
  html: string;
  text: string;
}

export async function parseCheckedMessage(raw: Buffer | string): Promise<CheckedMessage> {
  const parsed: ParsedMail = await simpleParser(raw, { skipHtmlToText: true });
  const headers = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  const contentType = parsed.headers.get('content-type');
  const type = typeof contentType === 'object' && contentType !== null && 'value' in contentType ? String(contentType.value) : 'text/plain';
  return {
    contentType: type.toLowerCase(),
    headers,
    subject: parsed.subject ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : '',
    text: parsed.text ?? '',
  };
}

export function firstHeader(message: CheckedMessage, name: string): string | undefined {
  return message.headers.get(name.toLowerCase())?.[0];
}
