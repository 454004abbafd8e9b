import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { decode as decodeQuotedPrintable } from 'libqp';

/**
 * The structure of a message, as far as reading a bounce needs it: headers, content types, and
 * each leaf part's decoded text. Built for returned mail rather than for display: line ends may be
 * LF, CRLF or CR, boundaries may be missing or unterminated, charsets may be wrong, and the
 * message may be cut off (the readers stop at a size bound). Nothing here throws on bad input;
 * what could not be read is left out. Enclosed messages (message/rfc822, text/rfc822-headers)
 * are read for their headers only.
 */

export interface Headers {
  /** Lower-case name to the values in order; values unfolded, not decoded. */
  readonly map: ReadonlyMap<string, readonly string[]>;
}

export interface MimePart {
  headers: Headers;
  /** Lower-case type/subtype; text/plain when missing or unreadable. */
  type: string;
  params: Record<string, string>;
  /** The undecoded body (as latin1 text: one character per byte). */
  rawBody: string;
  children: MimePart[];
  /** For message/rfc822, message/global and text/rfc822-headers: the enclosed message. */
  enclosed?: MimePart;
  /** What was wrong with the message, shared by all its parts (one line each, no repeats). */
  problems: string[];
}

const MAX_DEPTH = 6;
const MAX_PARTS = 64;

export function header(headers: Headers, name: string): string | undefined {
  return headers.map.get(name)?.[0];
}

export function headerAll(headers: Headers, name: string): readonly string[] {
  return headers.map.get(name) ?? [];
}

/** A header value with RFC 2047 words decoded and raw 8-bit UTF-8 read as such. */
export function decodedHeader(headers: Headers, name: string): string | undefined {
  const value = header(headers, name);
  return value === undefined ? undefined : decodeHeaderText(value);
}

export function decodeHeaderText(value: string): string {
  try {
    return libmime.decodeWords(bytesToText(value, undefined));
  } catch {
    return value;
  }
}

/** Parses a whole message; `raw` is the message's bytes (possibly cut short). */
export function parseMessage(raw: Buffer): MimePart {
  const text = raw.toString('latin1').replace(/\r\n?/g, '\n');
  const state = { parts: 0, problems: [] as string[] };
  return parseEntity(text, 0, state, 'text/plain');
}

function note(problems: string[], problem: string): void {
  if (!problems.includes(problem)) problems.push(problem);
}

function parseEntity(text: string, depth: number, state: { parts: number; problems: string[] }, defaultType: string): MimePart {
  state.parts++;
  const { headers, body } = splitHeaders(text);
  const { type, params } = contentType(headers, defaultType);
  const part: MimePart = { headers, type, params, rawBody: body, children: [], problems: state.problems };
  if (depth >= MAX_DEPTH || state.parts > MAX_PARTS) {
    note(state.problems, `malformed MIME: more than ${MAX_PARTS} parts or ${MAX_DEPTH} levels; the rest was not read`);
    return part;
  }
  if (type.startsWith('multipart/')) {
    let boundary = params.boundary;
    if (!boundary) {
      boundary = guessBoundary(body);
      note(state.problems, `malformed MIME: ${type} without a boundary parameter${boundary ? ` (read with the boundary "${boundary}" found in its body)` : ''}`);
    }
    if (boundary) {
      const childType = type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      const { sections, closed } = splitMultipart(body, boundary);
      if (!closed) note(state.problems, `malformed MIME: ${type} is not closed (the message was cut off, or its boundary is wrong)`);
      for (const section of sections) {
        if (state.parts > MAX_PARTS) break;
        part.children.push(parseEntity(section, depth + 1, state, childType));
      }
    }
  } else if (isEnclosure(type)) {
    // Of a returned message only its headers matter (Message-ID, Return-Path, To): its body, often
    // the whole newsletter, is not parsed.
    const inner = decodeBody(part).toString('latin1');
    state.parts++;
    const { headers } = splitHeaders(inner.includes('\r') ? inner.replace(/\r\n?/g, '\n') : inner);
    part.enclosed = { headers, type: 'message/rfc822', params: {}, rawBody: '', children: [], problems: state.problems };
  }
  return part;
}

export function isEnclosure(type: string): boolean {
  return type === 'message/rfc822' || type === 'message/global' || type === 'text/rfc822-headers' || type === 'message/global-headers' || type === 'message/partial';
}

/** Header block and body; a message that starts with a blank line has no headers. */
function splitHeaders(text: string): { headers: Headers; body: string } {
  let end = text.startsWith('\n') ? 0 : text.indexOf('\n\n');
  let bodyStart = end < 0 ? text.length : end + (end === 0 ? 1 : 2);
  if (end < 0) end = text.length;
  let block = text.slice(0, end);
  // A "header block" whose first line is not a header is really body text (a part without headers).
  if (block && !/^(?:From |[!-9;-~]+:)/.test(block)) {
    block = '';
    bodyStart = 0;
  }
  const map = new Map<string, string[]>();
  let name = '';
  let value = '';
  const commit = () => {
    if (!name) return;
    const list = map.get(name);
    if (list) list.push(value.trim());
    else map.set(name, [value.trim()]);
  };
  for (const line of block.split('\n')) {
    if (/^[ \t]/.test(line) && name) {
      value += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('From ')) continue;
    commit();
    name = line.slice(0, colon).trim().toLowerCase();
    value = line.slice(colon + 1);
  }
  commit();
  return { headers: { map }, body: text.slice(bodyStart) };
}

function contentType(headers: Headers, defaultType: string): { type: string; params: Record<string, string> } {
  const value = header(headers, 'content-type');
  if (!value) return { type: defaultType, params: {} };
  try {
    const parsed = libmime.parseHeaderValue(value);
    const type = parsed.value.toLowerCase().trim();
    const params: Record<string, string> = {};
    for (const [key, param] of Object.entries(parsed.params)) params[key.toLowerCase()] = String(param);
    return { type: /^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type) ? type : defaultType, params };
  } catch {
    return { type: defaultType, params: {} };
  }
}

/** Some MTAs (and cut or mangled messages) lose the boundary parameter: the first "--x" line names it. */
function guessBoundary(body: string): string | undefined {
  const match = /^--([^\s]{1,70})\s*$/m.exec(body);
  return match?.[1];
}

function splitMultipart(body: string, boundary: string): { sections: string[]; closed: boolean } {
  const sections: string[] = [];
  const delimiter = `--${boundary}`;
  let current: string[] | undefined;
  for (const line of body.split('\n')) {
    if (line.startsWith(delimiter)) {
      const rest = line.slice(delimiter.length);
      if (/^--\s*$/.test(rest)) {
        if (current) sections.push(current.join('\n'));
        return { sections, closed: true };
      }
      if (/^\s*$/.test(rest)) {
        if (current) sections.push(current.join('\n'));
        current = [];
        continue;
      }
    }
    current?.push(line);
  }
  // An unterminated last part (the message was cut) still counts.
  if (current) sections.push(current.join('\n'));
  return { sections, closed: false };
}

/** The part's body bytes after its Content-Transfer-Encoding. */
export function decodeBody(part: MimePart): Buffer {
  const encoding = (header(part.headers, 'content-transfer-encoding') ?? '').toLowerCase().trim();
  if (encoding === 'base64') return Buffer.from(part.rawBody.replace(/[^A-Za-z0-9+/=]+/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    try {
      return decodeQuotedPrintable(part.rawBody.replace(/\n/g, '\r\n'));
    } catch {
      return Buffer.from(part.rawBody, 'latin1');
    }
  }
  return Buffer.from(part.rawBody, 'latin1');
}

const texts = new WeakMap<MimePart, string>();

/** A leaf part's text: transfer-decoded, then read in its charset (UTF-8, else Windows-1252 when none is declared). */
export function textOf(part: MimePart): string {
  const known = texts.get(part);
  if (known !== undefined) return known;
  const text = decodeText(part);
  texts.set(part, text);
  return text;
}

function decodeText(part: MimePart): string {
  const text = bytesToText(decodeBody(part).toString('latin1'), part.params.charset, part.problems).replace(/\r\n?/g, '\n');
  return part.params.format?.toLowerCase() === 'flowed' ? libmime.decodeFlowed(text, part.params.delsp?.toLowerCase() === 'yes') : text;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Latin1-carried bytes to text: the declared charset, else UTF-8 if they are valid UTF-8, else Windows-1252. */
function bytesToText(latin1: string, charset: string | undefined, problems?: string[]): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\x80-\xff\x1b]/.test(latin1)) return latin1;
  const bytes = Buffer.from(latin1, 'latin1');
  if (charset && !/^(us-)?ascii$/i.test(charset)) return decodeCharset(bytes, charset);
  try {
    return utf8.decode(bytes);
  } catch {
    // eslint-disable-next-line no-control-regex -- ISO-2022-JP's escape sequence
    const guess = /\x1b\$[B@]/.test(latin1) ? 'iso-2022-jp' : 'windows-1252';
    if (problems) note(problems, `8-bit text that is not UTF-8 and names no charset (read as ${guess})`);
    return decodeCharset(bytes, guess);
  }
}

/** Every part, depth first; enclosed messages are not entered. */
export function* walk(part: MimePart): Generator<MimePart> {
  const stack: MimePart[] = [part];
  while (stack.length) {
    const next = stack.pop() as MimePart;
    yield next;
    for (let i = next.children.length - 1; i >= 0; i--) stack.push(next.children[i] as MimePart);
  }
}
