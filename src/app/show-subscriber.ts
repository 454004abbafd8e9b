import type { Settings } from '../config/load.js';
import { EXIT, FintechWeeklyError } from '../core/errors.js';
import { bounceHistory, type BounceHistoryEntry } from '../store/bounces.js';
import { withStore } from '../store/db.js';
import { getSubscriberByEmail, type Subscriber } from '../store/subscribers.js';

/** `subscribers show EMAIL`: one subscriber and the history of their bounces and complaints, oldest first. */
export async function showSubscriber(settings: Settings, input: { email: string }): Promise<{ subscriber: Subscriber & { status_reason?: string | null }; bounces: BounceHistoryEntry[] }> {
  return withStore(settings.dbPath, (db) => {
    const subscriber = getSubscriberByEmail(db, input.email);
    if (!subscriber) {
      throw new FintechWeeklyError(`${input.email.trim().toLowerCase()} is not on the subscriber list`, { exitCode: EXIT.error, hint: 'Check the spelling; "fintechweekly subscribers list" shows everyone.' });
    }
    return { subscriber, bounces: bounceHistory(db, subscriber.id) };
  });
}
