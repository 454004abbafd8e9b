/**
 * A source of returned mail, read one message at a time: a Maildir, an mbox file, .eml files or an
 * IMAP mailbox. Messages are streamed (memory stays flat however many there are) and read up to
 * MAX_MESSAGE_BYTES each: what a bounce says comes first, and a 30 MB returned message must cost
 * no more than a small one. Nothing is ever deleted; only IMAP marks what was processed.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface MailboxMessage {
  /** The file path (path#n for mbox) or imap uid: what the scan reports it as. */
  id: string;
  /** The message's first MAX_MESSAGE_BYTES bytes. */
  raw: Buffer;
  /** The whole message's size in bytes. */
  size: number;
  /** Set when the message could not be read at all; `raw` is then empty. */
  error?: string | undefined;
}

export interface Mailbox {
  readonly description: string;
  messages(): AsyncIterable<MailboxMessage>;
  /** Marks messages processed (IMAP: a flag or a move, per config); files are left as they are. */
  markProcessed(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
