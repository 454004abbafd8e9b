import { CsvError, type Options as CsvParseOptions } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { FintechWeeklyError } from './errors.js';
import { normalizeEmail, normalizeName } from './message/address.js';

/**
 * Subscriber lists as CSV, the format every spreadsheet and mailing tool reads and writes.
 * Import: a header row with an email column (required), a name (one column, or first + last name)
 * and a status (optional), in the spellings the usual exports use; other columns are ignored.
 * Export writes `email,name,status,...` back, so an export imports again unchanged.
 *
 * Reading is incremental so that a file of millions of rows streams: the caller feeds records from
 * csv-parse's streaming parser (with subscriberCsvOptions) to a SubscriberCsvReader, one at a time.
 * Nothing here keeps a row once it is returned; duplicates inside a file are the store's to find.
 */
export const SUBSCRIBER_STATUSES = ['active', 'pending', 'unsubscribed', 'bounced'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];
/** `pending` (signed up, not confirmed) is only ever reached through the sign-up form: nobody agreed yet. */
export const IMPORTABLE_STATUSES = ['active', 'unsubscribed', 'bounced'] as const satisfies readonly SubscriberStatus[];
export type ImportableStatus = (typeof IMPORTABLE_STATUSES)[number];

export interface CsvSubscriberRow {
  /** Line in the file where the row starts (1 = the first line). */
  line: number;
  email: string;
  name: string | undefined;
  /** From the file's status columns; undefined when it has none or the cells are empty. */
  status: ImportableStatus | undefined;
}

export interface CsvRejectedRow {
  line: number;
  reason: string;
}

/** Which columns of the header an import reads, as the file spells them. */
export interface CsvColumnsUsed {
  email: string;
  /** One full-name column, or first and last name (joined with a space). */
  name: string[];
  /** Columns that can mark a row unsubscribed or bounced. */
  status: string[];
  ignored: string[];
}

// Spreadsheets with a comma as decimal separator (Indonesian and most European locales) save CSV
// with semicolons; some tools write tabs. The header row tells which one this file uses.
const DELIMITERS = [',', ';', '\t'] as const;

/** The delimiter of a file, from its first non-blank line (`start` is the beginning of the file). */
export function detectDelimiter(start: string): string {
  const firstLine = /[^\r\n]*\S[^\r\n]*/.exec(start)?.[0] ?? '';
  return DELIMITERS.find((d) => firstLine.includes(d)) ?? ',';
}

/**
 * The csv-parse options for a subscriber file. Blank lines are NOT skipped by the parser: each one
 * comes through as a record, so that SubscriberCsvReader can count physical lines exactly.
 */
export function subscriberCsvOptions(delimiter: string): CsvParseOptions {
  return {
    bom: true,
    delimiter,
    relax_column_count: true,
    // A name like Jane "JJ" Doe, unquoted, is what spreadsheets let people type.
    relax_quotes: true,
  };
}

// Header spellings, compared without case, spaces, dashes or underscores. From the exports editors
// bring: Mailchimp ("Email Address", "First Name", "Last Name", UNSUB_TIME in its unsubscribed
// export, CLEAN_TIME in its cleaned one), Substack (email, email_disabled), Kit/ConvertKit
// (email_address, first_name, state), listmonk (email, name, status), Buttondown (email,
// subscriber_type), and Indonesian spreadsheets ("Surel", "Nama").
const COLUMN_NAMES = {
  email: ['email', 'emailaddress', 'surel'],
  name: ['name', 'fullname', 'nama', 'namalengkap'],
  firstName: ['firstname', 'fname', 'namadepan'],
  lastName: ['lastname', 'lname', 'namabelakang'],
  status: ['status', 'subscribertype'],
  emailDisabled: ['emaildisabled'],
  unsubscribedAt: ['unsubtime'],
  cleanedAt: ['cleantime'],
} as const;
type ColumnRole = keyof typeof COLUMN_NAMES;

// Kit writes its status as `state`. Only that exact spelling counts: "State" in other files is
// usually part of a postal address.
const EXACT_NAMES: Partial<Record<ColumnRole, string>> = { status: 'state' };

// Every tool's words for "still receives the newsletter", "left" and "mail to them bounces".
// A row marked as left is stored unsubscribed, so that a migration never mails anyone who left
// the old tool; never-confirmed sign-ups (Kit "inactive", Buttondown "unactivated") count as left.
const STATUS_WORDS: Record<string, ImportableStatus> = {
  active: 'active',
  subscribed: 'active',
  enabled: 'active', // listmonk
  regular: 'active', // Buttondown, and its paid variants below
  premium: 'active',
  trialed: 'active',
  unpaid: 'active',
  gifted: 'active',
  churning: 'active',
  paused: 'active',
  past_due: 'active',
  unsubscribed: 'unsubscribed',
  cancelled: 'unsubscribed', // Kit
  canceled: 'unsubscribed',
  complained: 'unsubscribed', // Kit
  inactive: 'unsubscribed', // Kit: never confirmed
  unactivated: 'unsubscribed', // Buttondown: never confirmed
  disabled: 'unsubscribed', // listmonk
  blocklisted: 'unsubscribed', // listmonk
  spammy: 'unsubscribed', // Buttondown
  removed: 'unsubscribed', // Buttondown
  bounced: 'bounced',
  cleaned: 'bounced', // Mailchimp
  undeliverable: 'bounced', // Buttondown
};

const TRUE_WORDS = new Set(['true', 'yes', '1']);

interface Columns {
  email: number;
  name: number | undefined;
  firstName: number | undefined;
  lastName: number | undefined;
  status: number | undefined;
  emailDisabled: number | undefined;
  unsubscribedAt: number | undefined;
  cleanedAt: number | undefined;
}

/** Finds the columns an import reads; throws a FintechWeeklyError naming the file when there is no email column or a role appears twice. */
export function mapSubscriberColumns(header: readonly string[], file: string): { columns: Columns; used: CsvColumnsUsed } {
  const names = header.map((h) => h.toLowerCase().replace(/[\s_-]+/g, ''));
  const find = (role: ColumnRole): number | undefined => {
    const matches = names.flatMap((n, i) => ((COLUMN_NAMES[role] as readonly string[]).includes(n) || header[i] === EXACT_NAMES[role] ? [i] : []));
    if (matches.length > 1) {
      throw new FintechWeeklyError(`${file}:1: the header has ${matches.length} "${role}" columns (${matches.map((i) => `"${header[i]}"`).join(', ')})`, {
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
  const name = find('name');
  const columns: Columns = {
    email,
    name,
    // A full name wins; first and last name are read only when there is none.
    firstName: name === undefined ? find('firstName') : undefined,
    lastName: name === undefined ? find('lastName') : undefined,
    status: find('status'),
    emailDisabled: find('emailDisabled'),
    unsubscribedAt: find('unsubscribedAt'),
    cleanedAt: find('cleanedAt'),
  };
  const pick = (indexes: (number | undefined)[]) => indexes.filter((i): i is number => i !== undefined);
  const nameColumns = pick([columns.name, columns.firstName, columns.lastName]);
  const statusColumns = pick([columns.status, columns.emailDisabled, columns.unsubscribedAt, columns.cleanedAt]);
  const usedIndexes = new Set([email, ...nameColumns, ...statusColumns]);
  return {
    columns,
    used: {
      email: header[email] as string,
      name: nameColumns.map((i) => header[i] as string),
      status: statusColumns.map((i) => header[i] as string),
      ignored: header.filter((h, i) => !usedIndexes.has(i) && h.trim() !== ''),
    },
  };
}

export type CsvRecordOutcome =
  | { kind: 'header'; used: CsvColumnsUsed }
  | { kind: 'row'; row: CsvSubscriberRow }
  | { kind: 'rejected'; rejected: CsvRejectedRow }
  /** A blank line, or a row whose cells are all empty (spreadsheets write them as ",,"). */
  | { kind: 'blank' };

const LINE_BREAK = /\r\n|\r|\n/g;
const SPECIAL = /[\r\n\uFFFD]/;

/**
 * Turns the records of one file, in order, into subscriber rows or rejections with the physical
 * line each row starts on (quoted line breaks, CRLF and blank lines counted as an editor sees them).
 * Pure and incremental: it remembers the header and a line count, nothing else.
 */
export class SubscriberCsvReader {
  private columns: Columns | undefined;
  /** The line where the next record starts. */
  private line = 1;

  constructor(private readonly file: string) {}

  /** Lines read so far. */
  get linesRead(): number {
    return this.line - 1;
  }

  read(record: readonly string[]): CsvRecordOutcome {
    const line = this.line;
    let empty = true;
    for (const cell of record) {
      if (SPECIAL.test(cell)) {
        const undecodable = cell.indexOf('\uFFFD');
        if (undecodable !== -1) this.notUtf8(line, record, cell, undecodable);
        this.line += cell.match(LINE_BREAK)?.length ?? 0;
      }
      if (empty && cell.trim() !== '') empty = false;
    }
    this.line++;
    if (empty) return { kind: 'blank' };
    if (!this.columns) {
      const { columns, used } = mapSubscriberColumns(record, this.file);
      this.columns = columns;
      return { kind: 'header', used };
    }
    return this.readRow(record, this.columns, line);
  }

  /** Call after the last record: a file without a header row is refused. */
  finish(): void {
    if (!this.columns) {
      throw new FintechWeeklyError(`${this.file} is empty: expected a header row with an "email" column`, {
        file: this.file,
        hint: 'The first line names the columns, e.g. "email,name"; then one subscriber per line.',
      });
    }
  }

  /** csv-parse's error for a file that cannot be read as CSV, as one message naming the line where the broken row starts. */
  describeParseError(error: unknown): unknown {
    if (!(error instanceof CsvError)) return error;
    // csv-parse reports the line where it gave up (for a quote never closed: the end of the
    // file); every record before the broken one was read, so it starts on the next line.
    const problem =
      error.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quote (") opened in this row is never closed, so the rest of the file cannot be read'
        : `not readable as CSV: ${error.message.replace(/^[^:]*: /, '')}`;
    return new FintechWeeklyError(`${this.file}:${this.line}: ${problem}`, {
      file: this.file,
      cause: error,
      hint: 'Fix that row in a text editor (a quote inside a cell is written twice: ""), or save the file again as CSV from the spreadsheet.',
    });
  }

  private readRow(record: readonly string[], columns: Columns, line: number): CsvRecordOutcome {
    const cell = (index: number | undefined) => (index === undefined ? '' : unguardCell(record[index] ?? ''));
    const rawEmail = cell(columns.email);
    if (rawEmail.trim() === '') return rejected(line, 'the email is empty');
    const email = normalizeEmail(rawEmail);
    if (!email.ok) return rejected(line, `invalid address: ${email.reason}`);
    const fullName = columns.name === undefined ? [cell(columns.firstName).trim(), cell(columns.lastName).trim()].filter(Boolean).join(' ') : cell(columns.name);
    const name = normalizeName(fullName);
    if (!name.ok) return rejected(line, `${email.email}: ${name.reason}`);
    const rawStatus = cell(columns.status).trim().toLowerCase();
    const listed = rawStatus === '' ? undefined : STATUS_WORDS[rawStatus];
    if (rawStatus === 'pending') {
      return rejected(line, `${email.email}: status "pending" is a sign-up that was never confirmed; it cannot be imported (leave the row out, or let them sign up again)`);
    }
    if (rawStatus !== '' && !listed) {
      return rejected(line, `${email.email}: status "${rawStatus}" is not one of ${IMPORTABLE_STATUSES.join(', ')}`);
    }
    let status = listed;
    if (status === undefined || status === 'active') {
      if (cell(columns.cleanedAt).trim() !== '') status = 'bounced';
      else if (cell(columns.unsubscribedAt).trim() !== '' || TRUE_WORDS.has(cell(columns.emailDisabled).trim().toLowerCase())) status = 'unsubscribed';
    }
    return { kind: 'row', row: { line, email: email.email, name: name.name, status } };
  }

  private notUtf8(line: number, record: readonly string[], cell: string, at: number): never {
    const before = record.slice(0, record.indexOf(cell)).join('\n') + cell.slice(0, at);
    throw new FintechWeeklyError(`${this.file}:${line + (before.match(LINE_BREAK)?.length ?? 0)}: the file is not UTF-8 text`, {
      file: this.file,
      hint: 'Save it again as "CSV UTF-8" (Excel) or with UTF-8 encoding, so that names keep their accents.',
    });
  }
}

const rejected = (line: number, reason: string): CsvRecordOutcome => ({ kind: 'rejected', rejected: { line, reason } });

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
