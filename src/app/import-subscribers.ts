import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import { FintechWeeklyError } from '../core/errors.js';
import { detectDelimiter, subscriberCsvOptions, SubscriberCsvReader, type CsvColumnsUsed, type CsvRejectedRow, type CsvSubscriberRow } from '../core/subscriber-csv.js';
import type { Db } from '../store/db.js';
import { SubscriberImport, type ImportSummary } from '../store/subscribers.js';

/**
 * `subscribers import FILE`: streams a CSV file of any size into the list in flat memory.
 * The file is read in chunks by csv-parse's streaming parser, each record is checked as it comes
 * (src/core), and valid rows are staged in SQLite in batches; the list itself changes in one
 * transaction at the end (SubscriberImport), so an import either happens completely or not at all.
 * Rejected rows are listed by line and the others still imported, as before: the report says which.
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
  durationMs: number;
}

// Rows staged per SQLite transaction: large enough that commits cost little, small enough that
// a batch is a few hundred kilobytes.
const BATCH_ROWS = 5000;

export async function importSubscriberFile(input: ImportInput, deps: ImportDeps): Promise<ImportReport> {
  const now = deps.now ?? (() => new Date());
  const started = now().getTime();
  const elapsedMs = () => now().getTime() - started;
  const { file } = input;
  const bytes = await sizeOf(file);
  deps.onProgress?.({ type: 'start', file, bytes });

  const reader = new SubscriberCsvReader(file);
  const staging = new SubscriberImport(deps.db);
  try {
    let rejected: CsvRejectedRow[] = [];
    let columns: CsvColumnsUsed | undefined;
    let rows = 0;
    let batch: CsvSubscriberRow[] = [];
    const flush = () => {
      staging.stage(batch);
      batch = [];
    };

    const source = createReadStream(file, { highWaterMark: 256 * 1024 });
    const parser = parse(subscriberCsvOptions(detectDelimiter(await readStart(file))));
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        deps.signal?.removeEventListener('abort', abort);
        if (error === undefined) return resolve();
        source.destroy();
        parser.destroy();
        reject(error);
      };
      const abort = () => settle(interrupted(file, reader));
      if (deps.signal?.aborted) return abort();
      deps.signal?.addEventListener('abort', abort, { once: true });
      source.on('error', (error) => settle(unreadable(file, error)));
      parser.on('error', (error) => settle(reader.describeParseError(error)));
      parser.on('end', () => settle());
      // Records are handled synchronously as the parser emits them (flowing mode): a full batch is
      // written before it parses on, and every record before a parse error has been counted.
      parser.on('data', (record: string[]) => {
        if (settled) return;
        try {
          const outcome = reader.read(record);
          if (outcome.kind === 'header') {
            columns = outcome.used;
            deps.onProgress?.({ type: 'columns', columns });
            return;
          }
          if (outcome.kind === 'blank') return;
          if (outcome.kind === 'row') batch.push(outcome.row);
          else rejected.push(outcome.rejected);
          if (++rows % BATCH_ROWS === 0) {
            flush();
            deps.onProgress?.({ type: 'reading', rows, bytesRead: source.bytesRead, bytes, elapsedMs: elapsedMs() });
          }
        } catch (error) {
          settle(error);
        }
      });
      source.pipe(parser);
    });
    reader.finish();
    flush();
    deps.onProgress?.({ type: 'reading', rows, bytesRead: bytes, bytes, elapsedMs: elapsedMs() });
    const duplicates = staging.removeDuplicates().map((d) => ({ line: d.line, reason: `${d.email} is a duplicate of line ${d.first}` }));
    if (duplicates.length > 0) rejected = [...rejected, ...duplicates].sort((x, y) => x.line - y.line);
    deps.onProgress?.({ type: 'writing', rows, elapsedMs: elapsedMs() });
    // Past this point the import is one SQLite transaction: an interruption now either happens
    // before its commit (nothing imported) or after (everything imported).
    const summary = staging.apply({ source: path.basename(file), resubscribe: input.resubscribe, updateNames: input.updateNames }, now());
    return { file, rows, ...summary, rejected, columns: columns as CsvColumnsUsed, durationMs: elapsedMs() };
  } finally {
    staging.discard();
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (error) {
    throw unreadable(file, error);
  }
}

/** The first 64 KiB, enough to see the header row and tell its delimiter. */
async function readStart(file: string): Promise<string> {
  const handle = await open(file).catch((error: unknown) => {
    throw unreadable(file, error);
  });
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(64 * 1024), position: 0 });
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function unreadable(file: string, error: unknown): FintechWeeklyError {
  const code = (error as NodeJS.ErrnoException).code;
  return new FintechWeeklyError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(error as Error).message}`, {
    file,
    cause: error,
    hint: 'Give the path of a CSV file, relative to the current folder.',
  });
}

function interrupted(file: string, reader: SubscriberCsvReader): FintechWeeklyError {
  return new FintechWeeklyError(`interrupted while reading ${file} (after line ${reader.linesRead}): nothing was imported, the subscriber list is as it was`, {
    file,
    hint: 'Run the same import again to import the file.',
  });
}
