import { parentPort, workerData } from 'node:worker_threads';
import { isFintechWeeklyError } from '../core/errors.js';
import type { CsvColumnsUsed } from '../core/subscriber-csv.js';
import { SubscriberCsvFileReader, type CsvBatch } from './read-subscriber-csv.js';

/**
 * The import's reading thread: parsing and checking a big file takes about as long as storing it,
 * so the two run side by side on two cores. Batches go to the importing thread, which answers each
 * with an acknowledgement; reading pauses while two are unanswered, so a slow store holds up the
 * file instead of filling memory.
 */
export type ReaderMessage =
  | { type: 'columns'; columns: CsvColumnsUsed }
  | { type: 'batch'; batch: CsvBatch }
  | { type: 'done' }
  | { type: 'failed'; error: { message: string; hint: string | undefined; file: string | undefined; userError: boolean; stack: string | undefined } };

export const MAX_UNACKNOWLEDGED = 2;

const port = parentPort;
if (port) {
  const post = (message: ReaderMessage) => port.postMessage(message);
  let unacknowledged = 0;
  const reader = new SubscriberCsvFileReader((workerData as { file: string }).file, {
    columns: (columns) => post({ type: 'columns', columns }),
    batch: (batch) => {
      post({ type: 'batch', batch });
      if (++unacknowledged >= MAX_UNACKNOWLEDGED) reader.pause();
    },
  });
  port.on('message', () => {
    if (--unacknowledged < MAX_UNACKNOWLEDGED) reader.resume();
  });
  reader.run().then(
    () => {
      post({ type: 'done' });
      port.close();
    },
    (error: unknown) => {
      const userError = isFintechWeeklyError(error);
      post({ type: 'failed', error: { message: (error as Error).message ?? String(error), hint: userError ? error.hint : undefined, file: userError ? error.file : undefined, userError, stack: (error as Error).stack } });
      port.close();
    },
  );
}
