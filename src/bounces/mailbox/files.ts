import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FintechWeeklyError } from '../../core/errors.js';
import { MAX_MESSAGE_BYTES, type Mailbox, type MailboxMessage } from './mailbox.js';

/**
 * Reads up to MAX_MESSAGE_BYTES of one file; a file that cannot be read becomes a message with an
 * error. Synchronous on purpose: a scan reads thousands of small files one after the other, and
 * a round trip through the thread pool per call cost more than the reading itself.
 */
export function readMessageFile(file: string): MailboxMessage {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const { size } = fstatSync(fd);
    const length = Math.min(size, MAX_MESSAGE_BYTES);
    const raw = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const bytesRead = readSync(fd, raw, read, length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { id: file, raw: raw.subarray(0, read), size };
  } catch (error) {
    return { id: file, raw: Buffer.alloc(0), size: 0, error: `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function* readEach(files: AsyncIterable<string>): AsyncGenerator<MailboxMessage> {
  for await (const file of files) yield readMessageFile(file);
}

/**
 * A Maildir (new/ and cur/; tmp/ holds messages still being written). Files are listed one folder
 * at a time, in name order (Maildir names start with the delivery time).
 */
export function maildir(dir: string): Mailbox {
  async function* names(): AsyncGenerator<string> {
    for (const sub of ['new', 'cur']) {
      let entries: string[];
      try {
        entries = await readdir(path.join(dir, sub));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      entries.sort();
      for (const name of entries) if (!name.startsWith('.')) yield path.join(dir, sub, name);
    }
  }
  return { description: `the Maildir ${dir}`, messages: () => readEach(names()), markProcessed: async () => {}, close: async () => {} };
}

/** Message files (.eml), and folders of them: every file in a folder that is not hidden, in name order. */
export function emlFiles(paths: readonly string[]): Mailbox {
  async function* names(): AsyncGenerator<string> {
    for (const p of paths) {
      if ((await stat(p)).isDirectory()) {
        for (const entry of (await readdir(p, { withFileTypes: true })).filter((e) => e.isFile() && !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1))) yield path.join(p, entry.name);
      } else yield p;
    }
  }
  return { description: paths.length === 1 ? (paths[0] as string) : `${paths.length} files`, messages: () => readEach(names()), markProcessed: async () => {}, close: async () => {} };
}

export async function isMaildir(dir: string): Promise<boolean> {
  for (const sub of ['cur', 'new']) {
    try {
      if ((await stat(path.join(dir, sub))).isDirectory()) return true;
    } catch {
      // not there
    }
  }
  return false;
}

/** Mbox files start with a "From " line; a single message starts with a header, and an .eml file is always one message. */
export async function isMbox(file: string): Promise<boolean> {
  if (file.toLowerCase().endsWith('.eml')) return false;
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, 5, 0);
    return bytesRead === 5 && head.toString('latin1') === 'From ';
  } finally {
    await handle.close();
  }
}

export function notFound(source: string): FintechWeeklyError {
  return new FintechWeeklyError(`bounce source ${source} does not exist`, {
    hint: 'Give a Maildir folder, an mbox file, .eml files (or a folder of them), or imaps://user@host/INBOX.',
  });
}
