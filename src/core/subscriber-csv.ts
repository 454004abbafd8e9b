import { CsvError, parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { FintechWeeklyError } from './errors.js';
import { normalizeEmail, normalizeName } from './message/address.js';

/**
 * Subscriber lists as CSV, the format every spreadsheet and mailing tool reads and writes.
 * Import: a header row with `email` (required), `name` and `status` (optional); other columns are
 * ignored. Export writes the same columns back, so an export imports again unchanged.
 */
export const SUBSCRIBER_STATUSES = ['active', 'pending', 'unsubscribed', 'bounced'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];
/** `pending` (signed up, not confirmed) is only ever reached through the sign-up form: nobody agreed yet. */
export const IMPORTABLE_STATUSES = ['active', 'unsubscribed', 'bounced'] as const satisfies readonly SubscriberStatus[];
export type ImportableStatus = (typeof IMPORTABLE_STATUSES)[number];

export interface CsvSubscriberRow {
  /** Line in the file where the row starts (1 = the header). */
  line: number;
  email: string;
  name: string | undefined;
  /** From an optional `status` column; undefined when the file has none or the cell is empty. */
  status: ImportableStatus | undefined;
}

export interface CsvRejectedRow {
  line: number;
  reason: string;
}

export interface ParsedSubscriberCsv {
  rows: CsvSubscriberRow[];
  rejected: CsvRejectedRow[];
}

// Spreadsheets with a comma as decimal separator (Indonesian and most European locales) save CSV
// with semicolons; some tools write tabs. The header row tells which one this file uses.
const DELIMITERS = [',', ';', '\t'] as const;

/**
 * Parses subscriber CSV text. Bad rows are returned in `rejected` with their line and reason; a
 * file that cannot be read as a subscriber list at all (no header, no `email` column, broken
 * quoting) throws one FintechWeeklyError naming `file`.
 */
export function parseSubscriberCsv(text: string, file: string): ParsedSubscriberCsv {
  // One line-break style: csv-parse counts a CRLF inside a quoted field as two lines.
  const source = text.replace(/\r\n?/g, '\n');
  const undecodable = source.indexOf('\uFFFD');
  if (undecodable !== -1) {
    throw new FintechWeeklyError(`${file}:${source.slice(0, undecodable).split('\n').length}: the file is not UTF-8 text`, {
      file,
      hint: 'Save it again as "CSV UTF-8" (Excel) or with UTF-8 encoding, so that names keep their accents.',
    });
  }
  const records = parseRecords(source, file);
  const header = records[0];
  if (!header) {
    throw new FintechWeeklyError(`${file} is empty: expected a header row with an "email" column`, {
      file,
      hint: 'The first line names the columns, e.g. "email,name"; then one subscriber per line.',
    });
  }
  const columns = findColumns(header.record, file);
  const rows: CsvSubscriberRow[] = [];
  const rejected: CsvRejectedRow[] = [];
  const seenOnLine = new Map<string, number>();
  for (const { record, info } of records.slice(1)) {
    const line = info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    const cell = (index: number | undefined) => (index === undefined ? '' : unguardCell(record[index] ?? ''));
    const rawEmail = cell(columns.email);
    if (rawEmail.trim() === '') {
      rejected.push({ line, reason: 'the email is empty' });
      continue;
    }
    const email = normalizeEmail(rawEmail);
    if (!email.ok) {
      rejected.push({ line, reason: `invalid address: ${email.reason}` });
      continue;
    }
    const name = normalizeName(cell(columns.name));
    if (!name.ok) {
      rejected.push({ line, reason: `${email.email}: ${name.reason}` });
      continue;
    }
    const rawStatus = cell(columns.status).trim().toLowerCase();
    const status = rawStatus === '' ? undefined : IMPORTABLE_STATUSES.find((s) => s === rawStatus);
    if (rawStatus === 'pending') {
      rejected.push({ line, reason: `${email.email}: status "pending" is a sign-up that was never confirmed; it cannot be imported (leave the row out, or let them sign up again)` });
      continue;
    }
    if (rawStatus !== '' && !status) {
      rejected.push({ line, reason: `${email.email}: status "${rawStatus}" is not one of ${IMPORTABLE_STATUSES.join(', ')}` });
      continue;
    }
    const first = seenOnLine.get(email.email);
    if (first !== undefined) {
      rejected.push({ line, reason: `${email.email} is a duplicate of line ${first}` });
      continue;
    }
    seenOnLine.set(email.email, line);
    rows.push({ line, email: email.email, name: name.name, status });
  }
  return { rows, rejected };
}

interface ParsedRecord {
  record: string[];
  info: { lines: number };
}

function parseRecords(source: string, file: string): ParsedRecord[] {
  const firstLine = source.trimStart().split('\n', 1)[0] ?? '';
  const delimiter = DELIMITERS.find((d) => firstLine.includes(d)) ?? ',';
  try {
    return parse(source, {
      bom: true,
      delimiter,
      info: true,
      relax_column_count: true,
      // A name like Jane "JJ" Doe, unquoted, is what spreadsheets let people type.
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) {
      // csv-parse reports the line where it gave up (for a quote never closed: the end of the
      // file); the editor needs the line where the broken row starts.
      const line = rowStartLine(source, (error as CsvError & { bytes_records?: number }).bytes_records ?? 0);
      const problem =
        error.code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'a quote (") opened in this row is never closed, so the rest of the file cannot be read'
          : `not readable as CSV: ${error.message.replace(/^[^:]*: /, '')}`;
      throw new FintechWeeklyError(`${file}:${line}: ${problem}`, {
        file,
        cause: error,
        hint: 'Fix that row in a text editor (a quote inside a cell is written twice: ""), or save the file again as CSV from the spreadsheet.',
      });
    }
    throw error;
  }
}

/** The line of the first row after the first `bytes` bytes of `source` (blank lines skipped, as the parser does). */
function rowStartLine(source: string, bytes: number): number {
  const before = new TextDecoder().decode(new TextEncoder().encode(source).subarray(0, bytes));
  const blankLines = /^\n*/.exec(source.slice(before.length))?.[0].length ?? 0;
  return before.split('\n').length + blankLines;
}

// Header spellings that other tools export (Mailchimp's "Email Address", "E-mail", Indonesian
// "Nama"), compared without case, spaces, dashes or underscores.
const COLUMN_NAMES = {
  email: ['email', 'emailaddress', 'surel'],
  name: ['name', 'fullname', 'nama', 'namalengkap'],
  status: ['status'],
} as const;

function findColumns(header: string[], file: string): { email: number; name: number | undefined; status: number | undefined } {
  const names = header.map((h) => h.toLowerCase().replace(/[\s_-]+/g, ''));
  const find = (column: keyof typeof COLUMN_NAMES): number | undefined => {
    const matches = names.flatMap((n, i) => ((COLUMN_NAMES[column] as readonly string[]).includes(n) ? [i] : []));
    if (matches.length > 1) {
      throw new FintechWeeklyError(`${file}:1: the header has ${matches.length} "${column}" columns (${matches.map((i) => `"${header[i]}"`).join(', ')})`, {
        file,
        hint: 'Rename or delete all but one of them.',
      });
    }
    return matches[0];
  };
  const email = find('email');
  if (email === undefined) {
    throw new FintechWeeklyError(`${file}:1: the header row has no "email" column (found: ${header.map((h) => `"${h}"`).join(', ')})`, {
      file,
      hint: 'The first line must name the columns, e.g. "email,name".',
    });
  }
  return { email, name: find('name'), status: find('status') };
}

// Spreadsheets run a cell that starts with one of these as a formula (CSV injection, OWASP).
const FORMULA_START = /^[=+\-@\t\r]/;

/** Prefixes an apostrophe to a cell a spreadsheet would run as a formula. */
export function guardCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Undoes guardCell, so that an exported file imports back to the same addresses and names. */
function unguardCell(value: string): string {
  return value.startsWith("'") && FORMULA_START.test(value.slice(1)) ? value.slice(1) : value;
}

export const EXPORT_COLUMNS = ['email', 'name', 'status', 'created_at', 'unsubscribed_at'] as const;

export type ExportableSubscriber = Record<(typeof EXPORT_COLUMNS)[number], string | null>;

/**
 * The CSV export, one chunk per row so that a long list streams. Starts with a UTF-8 BOM so that
 * Excel shows non-ASCII names correctly; every cell is guarded against formula injection.
 */
export function* subscribersToCsv(subscribers: Iterable<ExportableSubscriber>): Generator<string> {
  yield stringify([[...EXPORT_COLUMNS]], { bom: true, record_delimiter: 'windows' });
  for (const subscriber of subscribers) {
    yield stringify([EXPORT_COLUMNS.map((column) => guardCell(subscriber[column] ?? ''))], { record_delimiter: 'windows' });
  }
}
