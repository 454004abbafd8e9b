import type { Settings } from '../config/load.js';
import { subscribersToCsv, type SubscriberStatus } from '../core/subscriber-csv.js';
import { withStore } from '../store/db.js';
import { listSubscribers, type Subscriber } from '../store/subscribers.js';

/**
 * `subscribers export`: the list as CSV (email, name, status, created_at, unsubscribed_at),
 * formula-safe for spreadsheets and importable again. The text is streamed to `write` in chunks.
 */
export async function exportSubscribers(
  settings: Settings,
  input: { status?: SubscriberStatus | undefined },
  write: (csv: Iterable<string>) => Promise<void>,
): Promise<{ count: number }> {
  let count = 0;
  const counted = function* (rows: Iterable<Subscriber>) {
    for (const row of rows) {
      count++;
      yield row;
    }
  };
  await withStore(settings.dbPath, (db) => write(subscribersToCsv(counted(listSubscribers(db, { status: input.status })))));
  return { count };
}
