import type { Settings } from '../config/load.js';
import type { SubscriberStatus } from '../core/subscriber-csv.js';
import { withStore } from '../store/db.js';
import { countSubscribers, listSubscribers as storedSubscribers, type Subscriber, type SubscriberCounts } from '../store/subscribers.js';

/**
 * `subscribers list`: the subscribers in the order they were added, streamed to `consume` (the list
 * is never held in memory whole), then the counts by status.
 */
export async function listSubscribers(
  settings: Settings,
  input: { status?: SubscriberStatus | undefined },
  consume: (subscribers: Iterable<Subscriber>) => Promise<void>,
): Promise<SubscriberCounts> {
  return withStore(settings.dbPath, async (db) => {
    await consume(storedSubscribers(db, { status: input.status }));
    return countSubscribers(db);
  });
}
