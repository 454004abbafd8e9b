import { createReadStream } from 'node:fs';
import { MAX_MESSAGE_BYTES, type Mailbox, type MailboxMessage } from './mailbox.js';

/**
 * An mbox file, streamed: messages start at a "From " line at the start of the file or after a
 * blank line, or at a full "From sender date" postmark line anywhere (some writers leave out the
 * blank line before it; a sentence starting "From " in a body has no asctime date after one word);
 * lines that mboxrd/mboxo escaped (">From ") are unescaped. Each message keeps its first
 * MAX_MESSAGE_BYTES bytes and counts the rest.
 */
export function mbox(file: string): Mailbox {
  async function* messages(): AsyncGenerator<MailboxMessage> {
    let index = 0;
    let chunks: Buffer[] = [];
    let kept = 0;
    let size = 0;
    let started = false;
    let previousBlank = true;
    let carry = Buffer.alloc(0);
    const finish = (): MailboxMessage => {
      index++;
      const raw = unescapeFromLines(Buffer.concat(chunks));
      const message = { id: `${file}#${index}`, raw, size };
      chunks = [];
      kept = 0;
      size = 0;
      return message;
    };
    const add = (line: Buffer) => {
      size += line.length;
      if (kept < MAX_MESSAGE_BYTES) {
        const part = line.subarray(0, MAX_MESSAGE_BYTES - kept);
        chunks.push(part);
        kept += part.length;
      }
    };
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      let data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      let start = 0;
      for (;;) {
        const eol = data.indexOf(10, start);
        if (eol < 0) break;
        const line = data.subarray(start, eol + 1);
        start = eol + 1;
        if (isSeparator(line) && (previousBlank || isPostmark(line))) {
          if (started) yield finish();
          started = true;
          previousBlank = false;
          continue;
        }
        previousBlank = line.length <= 2 && (line.length === 1 || line[0] === 13);
        if (started) add(line);
      }
      data = data.subarray(start);
      // A line longer than the bound is passed on in pieces; only whole lines can be separators.
      if (data.length > MAX_MESSAGE_BYTES) {
        if (started) add(data);
        data = Buffer.alloc(0);
      }
      carry = Buffer.from(data);
    }
    if (carry.length && started) add(carry);
    if (started) yield finish();
  }
  return { description: `the mbox file ${file}`, messages, markProcessed: async () => {}, close: async () => {} };
}

function isSeparator(line: Buffer): boolean {
  return line.length >= 5 && line[0] === 0x46 && line[1] === 0x72 && line[2] === 0x6f && line[3] === 0x6d && line[4] === 0x20;
}

/** "From sender Sat Nov 28 10:00:00 2026": the envelope sender, then an asctime date (seconds and a zone optional). */
const POSTMARK = /^From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{1,2}:\d{2}(?::\d{2})?(?: [A-Z]{2,5}| [+-]\d{4})? \d{4}\r?\n$/;
function isPostmark(line: Buffer): boolean {
  return line.length < 200 && POSTMARK.test(line.toString('latin1'));
}

function unescapeFromLines(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  return /^>+From /m.test(text) ? Buffer.from(text.replace(/^>(>*From )/gm, '$1'), 'latin1') : raw;
}
