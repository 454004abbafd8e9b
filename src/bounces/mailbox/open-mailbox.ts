import { stat } from 'node:fs/promises';
import { emlFiles, isMaildir, isMbox, maildir, notFound } from './files.js';
import type { Mailbox } from './mailbox.js';
import { mbox } from './mbox.js';

export interface OpenOptions {
  imapPassword: string | undefined;
  processedFolder: string | undefined;
  dryRun: boolean;
}

/** Tells the kind of source from what it is: imaps:// URL, Maildir folder, folder of .eml files, mbox file, .eml files. */
export async function openMailbox(sources: readonly string[], options: OpenOptions): Promise<Mailbox> {
  const first = sources[0] as string;
  // imapflow is big; a Maildir or mbox scan never loads it.
  if (sources.length === 1 && /^imaps?:\/\//i.test(first)) return (await import('./imap.js')).imapMailbox(first, { password: options.imapPassword, processedFolder: options.processedFolder, dryRun: options.dryRun });
  for (const source of sources) {
    try {
      await stat(source);
    } catch {
      throw notFound(source);
    }
  }
  if (sources.length === 1) {
    if ((await stat(first)).isDirectory()) return (await isMaildir(first)) ? maildir(first) : emlFiles(sources);
    if (await isMbox(first)) return mbox(first);
  }
  return emlFiles(sources);
}
