import { ImapFlow } from 'imapflow';
import { FintechWeeklyError } from '../../core/errors.js';
import { isLoopbackHost } from '../../delivery/transport.js';
import { MAX_MESSAGE_BYTES, type Mailbox, type MailboxMessage } from './mailbox.js';

/**
 * An IMAP mailbox (imaps://user@host[:port]/Mailbox), through imapflow. Only messages not yet
 * processed are read: processed ones carry the keyword $FintechWeeklyScanned, or were moved to the
 * configured folder. Nothing is ever deleted. Messages are fetched in batches of BATCH, each
 * message up to MAX_MESSAGE_BYTES. The certificate is checked except on loopback, like SMTP.
 */
export const PROCESSED_KEYWORD = '$FintechWeeklyScanned';
const BATCH = 50;

export interface ImapSource {
  host: string;
  port: number;
  user: string;
  mailbox: string;
}

export function parseImapUrl(source: string): ImapSource {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new FintechWeeklyError(`${source} is not a valid imaps:// URL`, { hint: 'Write it as imaps://user@host/INBOX (the password comes from FINTECHWEEKLY_IMAP_PASSWORD).' });
  }
  if (url.protocol !== 'imaps:') throw new FintechWeeklyError(`bounce source ${source}: only imaps:// (IMAP over TLS) is supported`, { hint: 'Use imaps://user@host/INBOX (port 993 unless given).' });
  if (!url.username) throw new FintechWeeklyError(`bounce source ${source} names no user`, { hint: 'Write it as imaps://user@host/INBOX.' });
  if (url.password) throw new FintechWeeklyError(`bounce source ${url.protocol}//${url.username}@${url.host}${url.pathname} has a password in it`, { hint: 'Remove it from the URL and set FINTECHWEEKLY_IMAP_PASSWORD instead.' });
  const mailbox = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'INBOX';
  return { host: url.hostname, port: url.port ? Number(url.port) : 993, user: decodeURIComponent(url.username), mailbox };
}

export async function imapMailbox(source: string, options: { password: string | undefined; processedFolder: string | undefined; dryRun: boolean }): Promise<Mailbox> {
  const target = parseImapUrl(source);
  if (!options.password) throw new FintechWeeklyError(`FINTECHWEEKLY_IMAP_PASSWORD is not set: it is the password of ${target.user} on ${target.host}`, { hint: 'Set it in the environment (passwords are never read from the config or the URL).' });
  const loopback = isLoopbackHost(target.host);
  const client = new ImapFlow({
    host: target.host,
    port: target.port,
    secure: true,
    auth: { user: target.user, pass: options.password },
    tls: { rejectUnauthorized: !loopback },
    logger: false,
    connectionTimeout: 30_000,
  });
  client.on('error', () => {});
  const description = `imaps://${target.user}@${target.host}:${target.port}/${target.mailbox}`;
  try {
    await client.connect();
  } catch (error) {
    throw new FintechWeeklyError(`cannot read ${description}: ${(error as Error).message}${(error as { authenticationFailed?: boolean }).authenticationFailed ? ' (login refused)' : ''}`, {
      hint: 'Check the host, port, user and FINTECHWEEKLY_IMAP_PASSWORD, and that the server speaks IMAP over TLS.',
    });
  }
  let lock;
  try {
    lock = await client.getMailboxLock(target.mailbox, { readOnly: options.dryRun });
  } catch (error) {
    await client.logout().catch(() => {});
    throw new FintechWeeklyError(`cannot open the mailbox ${target.mailbox} on ${target.host}: ${(error as Error).message}`, { hint: 'Check the mailbox name at the end of the URL (INBOX, or a folder).' });
  }
  const folder = options.processedFolder;
  if (folder && !options.dryRun) {
    const exists = (await client.list()).some((m) => m.path === folder);
    if (!exists) await client.mailboxCreate(folder);
  }

  async function* messages(): AsyncGenerator<MailboxMessage> {
    const uids = (await client.search({ unKeyword: PROCESSED_KEYWORD }, { uid: true })) || [];
    for (let i = 0; i < uids.length; i += BATCH) {
      const batch = uids.slice(i, i + BATCH);
      // imapflow runs no other command while a fetch is being read: fetch the batch whole, then yield.
      const fetched = await client.fetchAll(batch, { uid: true, size: true, source: { maxLength: MAX_MESSAGE_BYTES } }, { uid: true });
      for (const message of fetched) {
        yield { id: `uid ${message.uid}`, raw: message.source ?? Buffer.alloc(0), size: message.size ?? message.source?.length ?? 0 };
      }
    }
  }

  return {
    description,
    messages,
    async markProcessed(ids) {
      if (options.dryRun || ids.length === 0) return;
      const uids = ids.map((id) => Number(id.replace(/^uid /, ''))).filter((n) => Number.isInteger(n) && n > 0);
      if (uids.length === 0) return;
      if (folder && folder !== target.mailbox) {
        // Flagged first, so that a message whose move fails is not read again.
        await client.messageFlagsAdd(uids, [PROCESSED_KEYWORD], { uid: true });
        await client.messageMove(uids, folder, { uid: true });
      } else await client.messageFlagsAdd(uids, [PROCESSED_KEYWORD], { uid: true });
    },
    async close() {
      lock.release();
      await client.logout().catch(() => {});
    },
  };
}
