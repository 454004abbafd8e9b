import type { Settings } from '../config/load.js';
import { EXIT, FintechWeeklyError } from '../core/errors.js';
import { bounceHistory, resetBounceCount, type BounceHistoryEntry } from '../store/bounces.js';
import { withStore } from '../store/db.js';
import * as subscriberStore from '../store/subscribers.js';
import type { Subscriber } from '../store/subscribers.js';

/**
 * `subscribers add|remove|unsubscribe|resubscribe EMAIL`: one subscriber, named by address (any
 * case, surrounding spaces ignored). An address that is not on the list is an error.
 */

/** Adds an active subscriber, from the command line; a bad address or one already on the list is an error. */
export async function addSubscriber(settings: Settings, input: { email: string; name?: string | undefined }): Promise<Subscriber> {
  return withStore(settings.dbPath, (db) => subscriberStore.addSubscriber(db, { email: input.email, name: input.name, source: 'cli' }));
}

/** Deletes the subscriber; the send log keeps their deliveries. Returns the address as stored. */
export async function removeSubscriber(settings: Settings, input: { email: string }): Promise<{ email: string }> {
  const removed = await withStore(settings.dbPath, (db) => subscriberStore.removeSubscriber(db, input.email));
  if (!removed) throw notOnList(input.email);
  return { email: storedForm(input.email) };
}

export interface SubscriptionChange {
  subscriber: Subscriber;
  /** False when they already were in that state (nothing was written). */
  changed: boolean;
}

/** Stops sending to the subscriber; an import never re-subscribes them. */
export async function unsubscribeSubscriber(settings: Settings, input: { email: string }): Promise<SubscriptionChange> {
  return found(input.email, await withStore(settings.dbPath, (db) => subscriberStore.unsubscribe(db, input.email)));
}

/**
 * Makes an unsubscribed or bounced subscriber active again: only when they asked for it. A bounced
 * one comes back with their last bounce (for a warning), and their earlier soft bounces no longer
 * count toward bounce.softLimit.
 */
export async function resubscribeSubscriber(settings: Settings, input: { email: string; now?: Date }): Promise<SubscriptionChange & { lastBounce?: BounceHistoryEntry | undefined }> {
  return withStore(settings.dbPath, (db) => {
    const before = subscriberStore.getSubscriberByEmail(db, input.email);
    const change = found(input.email, subscriberStore.resubscribe(db, input.email));
    if (!change.changed || before?.status !== 'bounced') return change;
    resetBounceCount(db, change.subscriber.id, input.now ?? new Date());
    return { ...change, lastBounce: bounceHistory(db, change.subscriber.id).filter((b) => b.kind === 'bounce').at(-1) };
  });
}

function found(email: string, change: subscriberStore.StatusChange): SubscriptionChange {
  if (!change.subscriber) throw notOnList(email);
  return { subscriber: change.subscriber, changed: change.changed };
}

const storedForm = (email: string) => email.trim().toLowerCase();

export function notOnList(email: string): FintechWeeklyError {
  return new FintechWeeklyError(`${storedForm(email)} is not on the subscriber list`, {
    exitCode: EXIT.error,
    hint: 'Check the spelling; "fintechweekly subscribers list" shows everyone.',
  });
}
