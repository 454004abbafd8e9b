import type { Settings } from '../config/load.js';
import { withStore, type Db } from '../store/db.js';
import { notOnList } from './edit-subscriber.js';
import { purgePendingSignups, signupsOf, type PurgeOutcome, type Signup } from '../store/signups.js';
import { getSubscriberByEmail, type Subscriber } from '../store/subscribers.js';
import { bounceHistory, type BounceHistoryEntry } from '../store/bounces.js';

/**
 * What the rest of the tool shows and does about sign-ups: one subscriber's consent record
 * (`subscribers show`) and the end of sign-ups nobody confirmed (`subscribers purge-pending`).
 */

/** How the subscriber agreed to receive mail: each sign-up through the form, or who vouched for them. */
export type ConsentEntry =
  | {
      kind: 'signup';
      requestedAt: string;
      sourcePage: string;
      /** HMAC of the IP address with the server's secret: comparable, not readable. */
      ipHash: string;
      promise: string;
      expiresAt: string;
      confirmedAt: string | null;
      confirmationEmail: { state: Signup['mailState']; attempts: number; sentAt: string | null; reply: string | null };
    }
  | { kind: 'import'; file: string; at: string }
  | { kind: 'editor'; at: string }
  | { kind: 'other'; source: string | null; at: string };

export interface SubscriberRecord {
  subscriber: Subscriber;
  consent: ConsentEntry[];
  /** Bounces and complaints read from returned mail, oldest first. */
  bounces: BounceHistoryEntry[];
}

/** The subscriber with their consent record, or undefined when the address is not on the list. */
export function showSubscriber(db: Db, email: string): SubscriberRecord | undefined {
  const subscriber = getSubscriberByEmail(db, email);
  if (!subscriber) return undefined;
  const consent: ConsentEntry[] = [];
  // The row's origin: an import or an editor vouched for consent; the form's sign-ups follow.
  const source = subscriber.source ?? '';
  if (source.startsWith('import:')) consent.push({ kind: 'import', file: source.slice('import:'.length), at: subscriber.created_at });
  else if (source === 'cli') consent.push({ kind: 'editor', at: subscriber.created_at });
  else if (source !== 'signup') consent.push({ kind: 'other', source: subscriber.source, at: subscriber.created_at });
  for (const s of signupsOf(db, subscriber.id)) {
    consent.push({
      kind: 'signup',
      requestedAt: s.requestedAt,
      sourcePage: s.sourcePage,
      ipHash: s.ipHash,
      promise: s.promise,
      expiresAt: s.expiresAt,
      confirmedAt: s.confirmedAt,
      confirmationEmail: { state: s.mailState, attempts: s.mailAttempts, sentAt: s.mailSentAt, reply: s.mailReply },
    });
  }
  return { subscriber, consent, bounces: bounceHistory(db, subscriber.id) };
}

export interface PurgeReport extends PurgeOutcome {
  /** Sign-ups whose latest request is older than this were purged. */
  cutoff: string;
  dryRun: boolean;
}

export function purgePending(db: Db, options: { olderThanMs: number; now: Date; dryRun: boolean }): PurgeReport {
  const cutoff = new Date(options.now.getTime() - options.olderThanMs);
  return { cutoff: cutoff.toISOString(), dryRun: options.dryRun, ...purgePendingSignups(db, cutoff, options.now, options.dryRun) };
}

/** `subscribers show EMAIL`: the subscriber and their consent record; an address not on the list is an error. */
export async function showSubscriberRecord(settings: Settings, input: { email: string }): Promise<SubscriberRecord> {
  const record = await withStore(settings.dbPath, (db) => showSubscriber(db, input.email));
  if (!record) throw notOnList(input.email);
  return record;
}

/** `subscribers purge-pending`: ends the sign-ups nobody confirmed in time. */
export async function purgePendingSignupsOlderThan(settings: Settings, options: { olderThanMs: number; now: Date; dryRun: boolean }): Promise<PurgeReport> {
  return withStore(settings.dbPath, (db) => purgePending(db, options));
}
