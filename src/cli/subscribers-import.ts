import { importSubscriberFile, type ImportProgress } from '../app/import-subscribers.js';
import { EXIT } from '../core/errors.js';
import type { CsvColumnsUsed } from '../core/subscriber-csv.js';
import { withStore } from '../store/db.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

export interface ImportFlags {
  resubscribe?: boolean;
  updateNames?: boolean;
  json?: boolean;
}

/**
 * `subscribers import FILE`: every rejected row is listed as `file:line: reason`, and the exit code
 * is 1 when any row was rejected, so that neither an editor nor a script mistakes a partly
 * imported file for a clean one. Importing the file again after fixing those rows is safe: nobody
 * is added twice. Ctrl-C stops the import with the list as it was.
 */
export async function importCsvFile(file: string, flags: ImportFlags): Promise<void> {
  const out = createOutput({ json: flags.json });
  const progress = await createProgressReporter(out, file);
  const interruption = new AbortController();
  const interrupt = () => interruption.abort();
  process.once('SIGINT', interrupt);
  let report;
  try {
    report = await withStore(settings().dbPath, (db) =>
      importSubscriberFile({ file, resubscribe: flags.resubscribe, updateNames: flags.updateNames }, { db, onProgress: progress.onProgress, signal: interruption.signal }),
    );
  } finally {
    progress.stop();
    process.removeListener('SIGINT', interrupt);
  }
  const rejected = report.rejected.map((r) => ({ ...r, message: `${file}:${r.line}: ${r.reason}` }));
  const skipped = report.skippedUnsubscribed.map((s) => ({ ...s, message: `${file}:${s.line}: ${s.email} is ${s.status}; not re-subscribed (use --resubscribe if they asked to be)` }));
  out.result({
    file,
    rows: report.rows,
    added: report.added,
    updated: report.updated,
    resubscribed: report.resubscribed,
    unchanged: report.unchanged,
    skippedUnsubscribed: skipped,
    rejected,
    columns: report.columns,
  });
  if (!out.json) {
    for (const s of skipped) out.info(s.message);
    for (const r of rejected) process.stderr.write(`${r.message}\n`);
    out.info(
      `${file}: ${report.added} added, ${report.updated} updated, ${report.resubscribed} resubscribed, ${report.unchanged} unchanged, ` +
        `${skipped.length} skipped (unsubscribed or bounced), ${rejected.length} rejected`,
    );
    if (report.rows === 0) out.warn(`${file} has a header but no subscriber rows`);
  }
  if (rejected.length > 0) {
    process.stderr.write(
      `error: ${rejected.length} row${rejected.length === 1 ? ' was' : 's were'} rejected${out.json ? '' : ' (listed above)'}; the other rows were imported.\n` +
        'hint: Fix those rows and import the file again: nobody is added twice.\n',
    );
    process.exitCode = EXIT.error;
  }
}

/** Which columns are read, e.g. `email from "Email Address", name from "First Name" + "Last Name"; ignored: "TAGS"`. */
function describeColumns(columns: CsvColumnsUsed): string {
  const quote = (names: string[]) => names.map((n) => `"${n}"`);
  const used = [`email from "${columns.email}"`];
  if (columns.name.length) used.push(`name from ${quote(columns.name).join(' + ')}`);
  if (columns.status.length) used.push(`status from ${quote(columns.status).join(', ')}`);
  return `${used.join(', ')}${columns.ignored.length ? `; ignored: ${quote(columns.ignored).join(', ')}` : ''}`;
}

// Progress only for an import that lasts: a small file is done before a bar would show.
const BAR_AFTER_MS = 1000;
// From this size on, the final write takes long enough to announce whatever the machine.
const LARGE_IMPORT_ROWS = 100_000;
const LINE_EVERY_MS = 5000;

/** On a terminal, a bar (after a second) with rows per second and ETA; otherwise a timestamped line every few seconds. */
async function createProgressReporter(out: Output, file: string): Promise<{ onProgress: (event: ImportProgress) => void; stop: () => void }> {
  const barModule = out.tty ? (await import('cli-progress')).default : undefined;
  let bar: InstanceType<NonNullable<typeof barModule>['SingleBar']> | undefined;
  let lastLine = Date.now();
  const onProgress = (event: ImportProgress) => {
    if (event.type === 'columns') {
      out.info(`${file}: ${describeColumns(event.columns)}`);
    } else if (event.type === 'reading') {
      const rate = event.elapsedMs > 0 ? Math.round((event.rows / event.elapsedMs) * 1000) : 0;
      if (barModule) {
        if (!bar && event.elapsedMs >= BAR_AFTER_MS) {
          bar = new barModule.SingleBar({ format: 'importing [{bar}] {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}', hideCursor: true }, barModule.Presets.shades_classic);
          bar.start(event.bytes, 0, { rows: 0, rate: 0 });
        }
        bar?.update(event.bytesRead, { rows: event.rows, rate });
      } else if (Date.now() - lastLine >= LINE_EVERY_MS) {
        lastLine = Date.now();
        out.info(`${event.rows} rows read (${event.bytes > 0 ? Math.floor((event.bytesRead / event.bytes) * 100) : 100}% of ${file}), ${rate} rows/s`);
      }
    } else if (event.type === 'writing') {
      bar?.stop();
      if (event.elapsedMs >= BAR_AFTER_MS || event.rows >= LARGE_IMPORT_ROWS) out.info(`writing ${event.rows} rows to the subscriber list in one transaction...`);
      bar = undefined;
    }
  };
  return { onProgress, stop: () => bar?.stop() };
}
