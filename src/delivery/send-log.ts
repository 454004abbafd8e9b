/**
 * The store as the send engine sees it, the way listmonk's campaign manager sees only a DataSource.
 * src/store implements it for SQLite; a PostgreSQL store implements the same two interfaces and the
 * engine (send-run.ts) does not change: claim() is one call that returns rows already committed as
 * `sending`, which PostgreSQL can do for several senders at once with FOR UPDATE SKIP LOCKED.
 * The types every room shares about deliveries (states, counts) are declared here, once.
 */

export const DELIVERY_STATES = ['pending', 'sending', 'sent', 'deferred', 'failed', 'unknown', 'skipped'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];
export type DeliveryCounts = Record<DeliveryState, number>;

export function emptyDeliveryCounts(): DeliveryCounts {
  return { pending: 0, sending: 0, sent: 0, deferred: 0, failed: 0, unknown: 0, skipped: 0 };
}

/** One row of the send log: one (campaign, address). */
export interface Delivery {
  id: number;
  subscriberId: number | null;
  email: string;
  name: string | null;
  state: DeliveryState;
  attempts: number;
  messageId: string;
}

export type ResultState = 'sent' | 'deferred' | 'failed' | 'unknown';

export interface DeliveryResult {
  id: number;
  state: ResultState;
  code: number | undefined;
  reply: string;
  at: Date;
  /** For `deferred`: when this run tries again, or when a later run may. */
  nextAttemptAt?: Date | null;
}

/** Who holds a lock: a process on a host, since when (ISO 8601). */
export interface LockHolder {
  pid: number;
  host: string;
  acquiredAt: string;
}

export type LockResult = { acquired: true; release: () => void } | { acquired: false; holder: LockHolder };

/** What a send records about the issue it sends. */
export interface CampaignIssue {
  slug: string;
  /** Relative to the project root. */
  issuePath: string;
  subject: string;
  contentHash: string;
}

/** A subscriber as a message is addressed to them. */
export interface Addressee {
  id: number;
  email: string;
  name: string | null;
}

export interface OpenedCampaign {
  log: SendLog;
  /** Deliveries an earlier run left in flight, now `unknown` (they may have been delivered). */
  interrupted: number;
  /** When the issue changed since its send began: how many received the earlier version. */
  sentEarlierVersion: number;
}

export interface CampaignSource {
  /** One run per campaign at a time: a second one is refused, a dead holder's lock is taken over. */
  lockCampaign(slug: string, now: Date): LockResult;
  /**
   * Opens the campaign for a run that holds its lock: creates or updates its row, settles what an
   * earlier run left in flight, takes the recipient list on the campaign's first run (never again:
   * a resumed send must not mail an old issue to people who subscribed since) and marks it sending.
   */
  openCampaign(issue: CampaignIssue, options: { fromEmail: string; retryUnknown: boolean }, now: Date): OpenedCampaign;
  /** Who a send would go to now, without writing anything (for --dry-run), and the first few of them. */
  previewRecipients(slug: string, retryUnknown: boolean, sample: number): { count: number; sample: { email: string; name: string | null }[] };
  /** The first active subscriber: the example whose headers a dry run shows. */
  exampleRecipient(): Addressee | undefined;
  /** Every active subscriber, streamed in a stable order (for --outbox, which records nothing). */
  activeSubscribers(): Iterable<Addressee>;
  /** The campaign's send log counted by state; undefined when it was never sent. */
  countDeliveries(slug: string): DeliveryCounts | undefined;
}

/** The send log of one campaign, for the run that holds its lock. */
export interface SendLog {
  counts(): DeliveryCounts;
  /**
   * Commits, in one transaction, the results recorded so far, `sending` for the rows in `again`
   * (this run's retries) and for up to `fresh` rows this run has not claimed yet. Every one of
   * those rows comes back either started or, when its subscriber left meanwhile, skipped.
   * `exhausted` says no unclaimed row is left.
   */
  claim(again: readonly Delivery[], fresh: number, now: Date): { started: Delivery[]; skipped: Delivery[]; exhausted: boolean };
  /** Queues a result; it is committed with the next claim() or flush(). */
  record(result: DeliveryResult): void;
  readonly unflushed: number;
  /**
   * Commits the queued results. When the store cannot grow (a full disk), it still tries to record
   * each result's state without its reply before throwing, so that a message the server accepted
   * is not left `sending` (which the next run would have to report as unknown).
   */
  flush(): void;
  /** Rows that were claimed but never reached the server go back to where they were. */
  release(rows: readonly Delivery[], now: Date): void;
  /** Marks the campaign done when nothing is left for a later run; returns whether it did. */
  finish(now: Date): boolean;
}
