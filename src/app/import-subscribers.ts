import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FintechWeeklyError } from '../core/errors.js';
import type { CsvColumnsUsed, CsvRejectedRow } from '../core/subscriber-csv.js';
import type { Db } from '../store/db.js';
import { SubscriberImport, type ImportSummary } from '../store/subscribers.js';
import { SubscriberCsvFileReader, unreadable, type CsvReadHandlers } from './read-subscriber-csv.js';
import type { ReaderMessage } from './subscriber-csv-worker.js';

/**
 * `subscribers import FILE`: streams a CSV file of any size into the list in flat memory.
 * A reading thread parses the file with csv-parse's streaming parser and checks each row as it
 * comes (src/core); this thread stages the valid rows in SQLite batch by batch, meanwhile. The
 * list itself changes in one transaction at the end (SubscriberImport), so an import happens
 * completely or not at all: a broken file, a full disk, Ctrl-C or a killed process leave the list
 * as it was. Rejected rows are listed by line and the others imported, as before.
 */

export interface ImportInput {
  file: string;
  /** Make unsubscribed and bounced addresses in the file active again. */
  resubscribe?: boolean | undefined;
  /** Replace stored names with the file's. */
  updateNames?: boolean | undefined;
}

export interface ImportDeps {
  db: Db;
  now?: () => Date;
  onProgress?: ((event: ImportProgress) => void) | undefined;
  /** Aborting stops the import before anything is written to the list. */
  signal?: AbortSignal | undefined;
}

export type ImportProgress =
  | { type: 'start'; file: string; bytes: number }
  | { type: 'columns'; columns: CsvColumnsUsed }
  /** While reading: rows read so far and how far into the file (bytes). */
  | { type: 'reading'; rows: number; bytesRead: number; bytes: number; elapsedMs: number }
  /** Every row is read and staged; the list is being updated in one transaction. */
  | { type: 'writing'; rows: number; elapsedMs: number };

export interface ImportReport extends ImportSummary {
  file: string;
  /** Rows in the file (header and blank lines not counted). */
  rows: number;
  rejected: CsvRejectedRow[];
  columns: CsvColumnsUsed;
}

export async function importSubscriberFile(input: ImportInput, deps: ImportDeps): Promise<ImportReport> {
  const now = deps.now ?? (() => new Date());
  const started = now().getTime();
  const elapsedMs = () => now().getTime() - started;
  const { file } = input;
  const bytes = await sizeOf(file);
  deps.onProgress?.({ type: 'start', file, bytes });

  const staging = new SubscriberImport(deps.db);
  try {
    let rejected: CsvRejectedRow[] = [];
    let columns: CsvColumnsUsed | undefined;
    let rows = 0;
    await readFile(file, deps.signal, {
      columns: (used) => {
        columns = used;
        deps.onProgress?.({ type: 'columns', columns: used });
      },
      batch: (batch) => {
        staging.stage(batch.rows);
        for (const row of batch.rejected) rejected.push(row);
        rows = batch.rowsRead;
        deps.onProgress?.({ type: 'reading', rows, bytesRead: batch.bytesRead, bytes, elapsedMs: elapsedMs() });
      },
    });
    const duplicates = staging.removeDuplicates().map((d) => ({ line: d.line, reason: `${d.email} is a duplicate of line ${d.first}` }));
    if (duplicates.length > 0) rejected = [...rejected, ...duplicates].sort((x, y) => x.line - y.line);
    deps.onProgress?.({ type: 'writing', rows, elapsedMs: elapsedMs() });
    // Past this point the import is one SQLite transaction: an interruption now either happens
    // before its commit (nothing imported) or after (everything imported).
    const summary = staging.apply({ source: path.basename(file), resubscribe: input.resubscribe, updateNames: input.updateNames }, now());
    return { file, rows, ...summary, rejected, columns: columns as CsvColumnsUsed };
  } finally {
    staging.discard();
  }
}

/** Compiled, the file is read in a worker thread; from TypeScript sources (tests) in this one. */
function readFile(file: string, signal: AbortSignal | undefined, handlers: CsvReadHandlers): Promise<void> {
  if (signal?.aborted) return Promise.reject(interrupted(file, 0));
  return import.meta.url.endsWith('.ts') ? readInThisThread(file, signal, handlers) : readInWorker(file, signal, handlers);
}

async function readInThisThread(file: string, signal: AbortSignal | undefined, handlers: CsvReadHandlers): Promise<void> {
  const reader = new SubscriberCsvFileReader(file, handlers);
  const abort = () => reader.stop(interrupted(file, reader.linesRead));
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await reader.run();
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

function readInWorker(file: string, signal: AbortSignal | undefined, handlers: CsvReadHandlers): Promise<void> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./subscriber-csv-worker.js', import.meta.url), { workerData: { file } });
    let linesRead = 0;
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', abort);
      if (error === undefined) return resolve();
      void worker.terminate();
      reject(error);
    };
    const abort = () => finish(interrupted(file, linesRead));
    signal?.addEventListener('abort', abort, { once: true });
    worker.on('message', (message: ReaderMessage) => {
      if (finished) return;
      try {
        if (message.type === 'columns') handlers.columns(message.columns);
        else if (message.type === 'batch') {
          linesRead = message.batch.linesRead;
          handlers.batch(message.batch);
          worker.postMessage('ack');
        } else if (message.type === 'done') finish();
        else finish(rebuild(message.error));
      } catch (error) {
        finish(error);
      }
    });
    worker.on('error', (error) => finish(error));
    worker.on('exit', (code) => finish(new Error(`the CSV reading thread stopped before the end of ${file} (exit code ${code})`)));
  });
}

/** An error from the reading thread, as it was thrown there. */
function rebuild(error: Extract<ReaderMessage, { type: 'failed' }>['error']): Error {
  if (error.userError) return new FintechWeeklyError(error.message, { hint: error.hint, file: error.file });
  const rebuilt = new Error(error.message);
  rebuilt.stack = error.stack;
  return rebuilt;
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw unreadable(file, error);
  }
}

function interrupted(file: string, linesRead: number): FintechWeeklyError {
  return new FintechWeeklyError(`interrupted while reading ${file} (after line ${linesRead}): nothing was imported, the subscriber list is as it was`, {
    file,
    hint: 'Run the same import again to import the file.',
  });
}
