import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXIT, FintechWeeklyError } from '../core/errors.js';
import { parseSubscriberCsv } from '../core/subscriber-csv.js';
import { openDb } from '../store/db.js';
import { importSubscribers } from '../store/subscribers.js';
import { settings } from './context.js';
import { createOutput } from './output.js';

export interface ImportFlags {
  resubscribe?: boolean;
  updateNames?: boolean;
  json?: boolean;
}

/**
 * `subscribers import FILE`: the valid rows are stored in one transaction, every rejected row is
 * listed as `file:line: reason`, and the exit code is 1 when any row was rejected, so that neither
 * an editor nor a script mistakes a partly imported file for a clean one. Importing the file
 * again after fixing those rows is safe: nobody is added twice.
 */
export async function importCsvFile(file: string, flags: ImportFlags): Promise<void> {
  const out = createOutput({ json: flags.json });
  const parsed = parseSubscriberCsv(readText(file), file);
  const db = openDb(settings().dbPath);
  const summary = importSubscribers(db, parsed.rows, { source: path.basename(file), resubscribe: flags.resubscribe, updateNames: flags.updateNames });
  db.close();
  const rejected = parsed.rejected.map((r) => ({ ...r, message: `${file}:${r.line}: ${r.reason}` }));
  const skipped = summary.skippedUnsubscribed.map((s) => ({ ...s, message: `${file}:${s.line}: ${s.email} is ${s.status}; not re-subscribed (use --resubscribe if they asked to be)` }));
  out.result({
    file,
    rows: parsed.rows.length + parsed.rejected.length,
    added: summary.added,
    updated: summary.updated,
    resubscribed: summary.resubscribed,
    unchanged: summary.unchanged,
    skippedUnsubscribed: skipped,
    rejected,
  });
  if (!out.json) {
    for (const s of skipped) out.info(s.message);
    for (const r of rejected) process.stderr.write(`${r.message}\n`);
    out.info(
      `${file}: ${summary.added} added, ${summary.updated} updated, ${summary.resubscribed} resubscribed, ${summary.unchanged} unchanged, ` +
        `${skipped.length} skipped (unsubscribed or bounced), ${rejected.length} rejected`,
    );
    if (parsed.rows.length + parsed.rejected.length === 0) out.warn(`${file} has a header but no subscriber rows`);
  }
  if (rejected.length > 0) {
    process.stderr.write(
      `error: ${rejected.length} row${rejected.length === 1 ? ' was' : 's were'} rejected${out.json ? '' : ' (listed above)'}; the other rows were imported.\n` +
        'hint: Fix those rows and import the file again: nobody is added twice.\n',
    );
    process.exitCode = EXIT.error;
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FintechWeeklyError(code === 'ENOENT' ? `${file} does not exist` : `cannot read ${file}: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: 'Give the path of a CSV file, relative to the current folder.',
    });
  }
}
