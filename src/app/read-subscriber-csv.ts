import { createReadStream, type ReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse, type Parser } from 'csv-parse';
import { FintechWeeklyError } from '../core/errors.js';
import { detectDelimiter, subscriberCsvOptions, SubscriberCsvReader, type CsvColumnsUsed, type CsvRejectedRow, type CsvSubscriberRow } from '../core/subscriber-csv.js';

/**
 * Streams a subscriber CSV file through csv-parse's streaming parser and SubscriberCsvReader, and
 * hands the checked rows on in batches: memory holds one batch and the parser's buffers, whatever
 * the file's size. Runs in the import's worker thread (src/app/subscriber-csv-worker.ts), or in
 * the calling thread.
 */
export interface CsvBatch {
  rows: CsvSubscriberRow[];
  rejected: CsvRejectedRow[];
  /** Rows of the file read so far (header and blank lines not counted). */
  rowsRead: number;
  linesRead: number;
  bytesRead: number;
}

export interface CsvReadHandlers {
  columns(used: CsvColumnsUsed): void;
  /** Called synchronously as each batch fills; call `pause` from here to stop reading until `resume`. */
  batch(batch: CsvBatch): void;
}

// Rows per batch: large enough that a SQLite transaction per batch costs little, small enough
// that a batch is a few hundred kilobytes.
export const BATCH_ROWS = 5000;

export class SubscriberCsvFileReader {
  private readonly reader: SubscriberCsvReader;
  private source: ReadStream | undefined;
  private parser: Parser | undefined;
  private fail: ((error: unknown) => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly handlers: CsvReadHandlers,
  ) {
    this.reader = new SubscriberCsvReader(file);
  }

  get linesRead(): number {
    return this.reader.linesRead;
  }

  /** Reads the whole file; the last batch (possibly empty) comes before this resolves. Rejects with an editor's error naming the file and line. */
  async run(): Promise<void> {
    const delimiter = detectDelimiter(await readStart(this.file));
    const source = createReadStream(this.file, { highWaterMark: 256 * 1024 });
    const parser = parse(subscriberCsvOptions(delimiter));
    this.source = source;
    this.parser = parser;
    let rows: CsvSubscriberRow[] = [];
    let rejected: CsvRejectedRow[] = [];
    let rowsRead = 0;
    const flush = () => {
      this.handlers.batch({ rows, rejected, rowsRead, linesRead: this.reader.linesRead, bytesRead: source.bytesRead });
      rows = [];
      rejected = [];
    };
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        if (error === undefined) return resolve();
        source.destroy();
        parser.destroy();
        reject(error);
      };
      this.fail = settle;
      source.on('error', (error) => settle(unreadable(this.file, error)));
      // Not source.pipe(parser): `pause` must stop the file, and only the file, so that the parser
      // hands over every record of the chunk it has (and every record before a parse error).
      source.on('data', (chunk) => parser.write(chunk));
      source.on('end', () => parser.end());
      parser.on('error', (error) => settle(this.reader.describeParseError(error)));
      parser.on('end', () => {
        try {
          this.reader.finish();
          flush();
          settle();
        } catch (error) {
          settle(error);
        }
      });
      // Records are handled synchronously as the parser emits them (flowing mode).
      parser.on('data', (record: string[]) => {
        if (settled) return;
        try {
          const outcome = this.reader.read(record);
          if (outcome.kind === 'header') return this.handlers.columns(outcome.used);
          if (outcome.kind === 'blank') return;
          if (outcome.kind === 'row') rows.push(outcome.row);
          else rejected.push(outcome.rejected);
          if (++rowsRead % BATCH_ROWS === 0) flush();
        } catch (error) {
          settle(error);
        }
      });
    });
  }

  pause(): void {
    this.source?.pause();
  }

  resume(): void {
    this.source?.resume();
  }

  /** Stops reading; `run` rejects with `error`. */
  stop(error: unknown): void {
    this.fail?.(error);
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

export function unreadable(file: string, error: unknown): FintechWeeklyError {
  const code = (error as NodeJS.ErrnoException).code;
  return new FintechWeeklyError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(error as Error).message}`, {
    file,
    cause: error,
    hint: 'Give the path of a CSV file, relative to the current folder.',
  });
}
