import { normalizeEmail, normalizeName } from '../core/message/address.js';
import { FintechWeeklyError } from '../core/errors.js';
import type { CsvSubscriberRow, SubscriberStatus } from '../core/subscriber-csv.js';
import { statement, type Db } from './db.js';

/**
 * The subscriber list. Addresses are stored trimmed and lower-cased (normalizeEmail), so every
 * lookup here lower-cases too. Removing a subscriber deletes the row; the send log keeps its own
 * copy of the address (deliveries.subscriber_id is set to NULL), so no history is lost.
 */
export interface Subscriber {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  /** 'cli', 'import:<file name>' or 'signup' (the form of serve). */
  source: string | null;
  created_at: string;
  updated_at: string;
  unsubscribed_at: string | null;
}

export interface StatusChange {
  /** Undefined when no subscriber has that address or id. */
  subscriber: Subscriber | undefined;
  /** False when the subscriber was already in the requested state (the call is idempotent). */
  changed: boolean;
}

const now = () => new Date().toISOString();
const lookupKey = (email: string) => email.trim().toLowerCase();

export function getSubscriberById(db: Db, id: number): Subscriber | undefined {
  return db.prepare('SELECT * FROM subscribers WHERE id = ?').get(id) as Subscriber | undefined;
}

export function getSubscriberByEmail(db: Db, email: string): Subscriber | undefined {
  return statement(db, 'SELECT * FROM subscribers WHERE email = ?').get(lookupKey(email)) as Subscriber | undefined;
}

/** Adds an active subscriber; throws a FintechWeeklyError for a bad address or name, or one already on the list. */
export function addSubscriber(db: Db, input: { email: string; name?: string | undefined; source?: string }): Subscriber {
  const email = normalizeEmail(input.email);
  if (!email.ok) throw new FintechWeeklyError(`invalid address: ${email.reason}`, { hint: 'Give one address like name@example.com.' });
  const name = normalizeName(input.name);
  if (!name.ok) throw new FintechWeeklyError(`invalid name for ${email.email}: ${name.reason}`);
  return db
    .transaction(() => {
      const existing = getSubscriberByEmail(db, email.email);
      if (existing) {
        throw new FintechWeeklyError(`${email.email} is already on the list (status: ${existing.status})`, {
          hint:
            existing.status === 'active'
              ? 'Nothing to do.'
              : `Re-add them only if they asked to be: fintechweekly subscribers resubscribe ${email.email}`,
        });
      }
      const at = now();
      const { lastInsertRowid } = db
        .prepare("INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, ?, 'active', ?, ?, ?)")
        .run(email.email, name.name ?? null, input.source ?? 'cli', at, at);
      return getSubscriberById(db, Number(lastInsertRowid)) as Subscriber;
    })
    .immediate();
}

/** Deletes the subscriber row; their deliveries stay in the send log. Returns whether a row was deleted. */
export function removeSubscriber(db: Db, email: string): boolean {
  return db.prepare('DELETE FROM subscribers WHERE email = ?').run(lookupKey(email)).changes > 0;
}

/** Idempotent: unsubscribing twice changes nothing and keeps the first unsubscribed_at. A bounced address becomes unsubscribed. */
export function unsubscribe(db: Db, who: string | number): StatusChange {
  return setStatus(db, who, 'unsubscribed');
}

/** Makes an unsubscribed or bounced subscriber active again (only ever on their request). */
export function resubscribe(db: Db, who: string | number): StatusChange {
  return setStatus(db, who, 'active');
}

function setStatus(db: Db, who: string | number, status: 'active' | 'unsubscribed'): StatusChange {
  const where = typeof who === 'number' ? 'id = ?' : 'email = ?';
  const key = typeof who === 'number' ? who : lookupKey(who);
  const at = now();
  const { changes } = db
    .prepare(`UPDATE subscribers SET status = ?, unsubscribed_at = ?, updated_at = ? WHERE ${where} AND status <> ?`)
    .run(status, status === 'active' ? null : at, at, key, status);
  const subscriber = db.prepare(`SELECT * FROM subscribers WHERE ${where}`).get(key) as Subscriber | undefined;
  return { subscriber, changed: changes > 0 };
}

export interface SubscriberFilter {
  status?: SubscriberStatus | undefined;
}

/** Streams subscribers in id order; nothing else may use `db` until the iteration ends. */
export function listSubscribers(db: Db, filter: SubscriberFilter = {}): IterableIterator<Subscriber> {
  return filter.status
    ? (db.prepare('SELECT * FROM subscribers WHERE status = ? ORDER BY id').iterate(filter.status) as IterableIterator<Subscriber>)
    : (db.prepare('SELECT * FROM subscribers ORDER BY id').iterate() as IterableIterator<Subscriber>);
}

export type SubscriberCounts = Record<SubscriberStatus | 'total', number>;

/** The subscriber with the lowest id in this status: the example a dry run shows. */
export function firstSubscriber(db: Db, status: SubscriberStatus): Subscriber | undefined {
  return db.prepare('SELECT * FROM subscribers WHERE status = ? ORDER BY id LIMIT 1').get(status) as Subscriber | undefined;
}

export function countSubscribers(db: Db): SubscriberCounts {
  const counts: SubscriberCounts = { active: 0, pending: 0, unsubscribed: 0, bounced: 0, total: 0 };
  for (const row of db.prepare('SELECT status, count(*) AS n FROM subscribers GROUP BY status').all() as { status: SubscriberStatus; n: number }[]) {
    counts[row.status] = row.n;
    counts.total += row.n;
  }
  return counts;
}

export interface ImportOptions {
  /** Stored as the subscribers' source: `import:<source>`. */
  source: string;
  /** Make unsubscribed and bounced addresses in the file active again. */
  resubscribe?: boolean | undefined;
  /** Replace stored names with the file's (by default a name is only filled in where none is stored). */
  updateNames?: boolean | undefined;
}

export interface ImportedRow {
  line: number;
  email: string;
}

export interface ImportSummary {
  added: number;
  /** Name filled in or replaced, or marked unsubscribed/bounced by the file's status column. */
  updated: number;
  resubscribed: number;
  unchanged: number;
  /** Already unsubscribed or bounced, left alone (no --resubscribe). */
  skippedUnsubscribed: (ImportedRow & { status: SubscriberStatus })[];
}

// Page caches during an import, in KiB. SQLite's sorter (building the index over the staged rows)
// takes as much memory as the main cache, so that one stays small until the list is written.
// Larger caches write a big list faster but cost memory whatever the list's size: these keep a
// million-row import within a few megabytes of a small one.
const STAGING_CACHE_KIB = 4096;
const WRITING_CACHE_KIB = 40960;

export interface DuplicateRow extends ImportedRow {
  /** The line of the first row with this address. */
  first: number;
}

/**
 * An import of a file of any size in steps, so that a failure half way (a file that breaks off, a
 * full disk, Ctrl-C, a killed process) leaves the list exactly as it was.
 * Why all or nothing rather than keeping what was imported and reporting it: the editor's next
 * step is the same whatever stopped the import (fix the cause, run the same command again), no
 * report of a half import can be lost with a killed process, and nobody has to work out which
 * part of a file is in. SQLite makes it cheap: the rows wait in its temporary file (memory stays
 * flat), and the list is locked only for the last step. The price is that last step: other
 * writers (a send, an unsubscribe) wait for it, several seconds per million rows. The steps:
 * 1. `stage`: the file's rows go, batch by batch, into a TEMP table (SQLite's temporary file,
 *    private to this connection, gone when it closes or the process dies). Nothing here touches
 *    the list or locks it, so `serve` and `send` keep writing meanwhile.
 * 2. `removeDuplicates`: an index over the staged addresses (built by sorting, far cheaper than
 *    keeping one up to date row by row) finds every address the file has twice; the later copies
 *    are dropped and returned. No address is held in memory.
 * 3. `apply`: ONE transaction compares the staged rows with the list and writes every change in
 *    a few set-based statements. It commits completely or not at all.
 * The rules of `apply`, so that importing the same file again changes nothing:
 * - A new address is added with the file's status (default active), in the file's order.
 * - An unsubscribed or bounced address is never made active again unless `resubscribe`.
 * - A row marked unsubscribed or bounced in the file suppresses an active address too: importing
 *   another tool's export must never mail someone who left there.
 * - An empty name in the file never erases a stored one.
 */
export class SubscriberImport {
  private readonly insert;
  private readonly cacheBefore: number;

  constructor(private readonly db: Db) {
    this.cacheBefore = db.pragma('main.cache_size', { simple: true }) as number;
    db.pragma(`temp.cache_size = -${STAGING_CACHE_KIB}`);
    db.pragma(`main.cache_size = -${STAGING_CACHE_KIB}`);
    db.exec(`
      DROP TABLE IF EXISTS temp.import_rows;
      DROP TABLE IF EXISTS temp.import_matches;
      DROP TABLE IF EXISTS temp.import_list;
      CREATE TEMP TABLE import_rows (line INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT, status TEXT);
      -- filled by apply: the staged rows whose address is on the list, and what happens to them
      CREATE TEMP TABLE import_matches (line INTEGER NOT NULL, email TEXT NOT NULL, subscriber_id INTEGER NOT NULL, stored_status TEXT NOT NULL, outcome TEXT NOT NULL, new_status TEXT NOT NULL, new_name TEXT);`);
    this.insert = db.prepare('INSERT INTO temp.import_rows (line, email, name, status) VALUES (?, ?, ?, ?)');
  }

  /** Stages rows, in file order, in one transaction. */
  stage(rows: readonly CsvSubscriberRow[]): void {
    withDiskErrors(this.db, () =>
      this.db.transaction(() => {
        for (const row of rows) this.insert.run(row.line, row.email, row.name ?? null, row.status ?? null);
      })(),
    );
  }

  /** After the last `stage`: drops every row whose address an earlier row has, and returns them in line order. */
  removeDuplicates(): DuplicateRow[] {
    return withDiskErrors(this.db, () =>
      this.db.transaction(() => {
        // Covers what apply reads, so that it walks the staged rows in address order without
        // going back to the table.
        this.db.exec('CREATE INDEX temp.import_rows_email ON import_rows (email, line, name, status)');
        const duplicates = this.db
          .prepare(
            `SELECT r.line, r.email, d.first FROM temp.import_rows AS r
             JOIN (SELECT email, min(line) AS first FROM temp.import_rows GROUP BY email HAVING count(*) > 1) AS d ON d.email = r.email AND r.line > d.first
             ORDER BY r.line`,
          )
          .all() as DuplicateRow[];
        const remove = this.db.prepare('DELETE FROM temp.import_rows WHERE line = ?');
        for (const duplicate of duplicates) remove.run(duplicate.line);
        return duplicates;
      })(),
    );
  }

  /** After `removeDuplicates`: writes the staged rows to the list in ONE transaction and reports what changed. */
  apply(options: ImportOptions, at: Date): ImportSummary {
    const when = at.toISOString();
    return withDiskErrors(this.db, () =>
      this.db
        .transaction(() => {
          const list = this.sortedList();
          this.db.pragma(`main.cache_size = -${WRITING_CACHE_KIB}`);
          // The staged rows are walked in address order, and so is the list: both are read
          // front to back, and a new address costs one look.
          this.db
            .prepare(
              `INSERT INTO temp.import_matches (line, email, subscriber_id, stored_status, outcome, new_status, new_name)
               SELECT r.line, r.email, s.id, s.status,
                 CASE
                   WHEN coalesce(r.status, 'active') = 'active' AND s.status <> 'active' THEN CASE WHEN :resubscribe THEN 'resubscribed' ELSE 'skipped' END
                   WHEN coalesce(r.status, 'active') <> 'active' AND s.status = 'active' THEN 'updated'
                   WHEN r.name IS NOT NULL AND r.name IS NOT s.name AND (s.name IS NULL OR :updateNames) THEN 'updated'
                   ELSE 'unchanged' END,
                 CASE
                   WHEN coalesce(r.status, 'active') = 'active' AND s.status <> 'active' AND :resubscribe THEN 'active'
                   WHEN coalesce(r.status, 'active') <> 'active' AND s.status = 'active' THEN r.status
                   ELSE s.status END,
                 CASE WHEN r.name IS NOT NULL AND (s.name IS NULL OR :updateNames) THEN r.name ELSE s.name END
               FROM temp.import_rows AS r INDEXED BY import_rows_email CROSS JOIN ${list}
               WHERE s.email = r.email ORDER BY r.email`,
            )
            .run({ resubscribe: options.resubscribe ? 1 : 0, updateNames: options.updateNames ? 1 : 0 });
          this.db
            .prepare(
              `UPDATE main.subscribers SET
                 status = m.new_status,
                 name = m.new_name,
                 unsubscribed_at = CASE WHEN m.new_status = 'active' THEN NULL ELSE coalesce(subscribers.unsubscribed_at, :at) END,
                 updated_at = :at
               FROM temp.import_matches AS m WHERE m.subscriber_id = subscribers.id AND m.outcome IN ('updated', 'resubscribed')`,
            )
            .run({ at: when });
          // Every address already on the list was matched above; the rest are added, in file order.
          // (The index is sorted with the small cache, like the one over the staged rows.)
          this.db.pragma(`main.cache_size = -${STAGING_CACHE_KIB}`);
          this.db.exec('CREATE INDEX temp.import_matches_line ON import_matches (line)');
          this.db.pragma(`main.cache_size = -${WRITING_CACHE_KIB}`);
          const { changes: added } = this.db
            .prepare(
              `INSERT INTO main.subscribers (email, name, status, source, created_at, updated_at, unsubscribed_at)
               SELECT r.email, r.name, coalesce(r.status, 'active'), :source, :at, :at, CASE WHEN coalesce(r.status, 'active') = 'active' THEN NULL ELSE :at END
               FROM temp.import_rows AS r WHERE NOT EXISTS (SELECT 1 FROM temp.import_matches AS m WHERE m.line = r.line) ORDER BY r.line`,
            )
            .run({ source: `import:${options.source}`, at: when });
          const counts = this.db
            .prepare(
              `SELECT count(*) FILTER (WHERE outcome = 'updated') AS updated, count(*) FILTER (WHERE outcome = 'resubscribed') AS resubscribed,
                 count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged FROM temp.import_matches`,
            )
            .get() as { updated: number; resubscribed: number; unchanged: number };
          const skippedUnsubscribed = this.db
            .prepare("SELECT line, email, stored_status AS status FROM temp.import_matches WHERE outcome = 'skipped' ORDER BY line")
            .all() as ImportSummary['skippedUnsubscribed'];
          return { added, ...counts, skippedUnsubscribed };
        })
        .immediate(),
    );
  }

  /**
   * The list to match the staged rows against (as `s`), in address order. Looking a subscriber up by
   * address lands on a random page of the table; for a file about as long as the list (a
   * re-import, a second export of the same tool) it is several times cheaper to copy the columns
   * needed, sorted, into the temporary file first. Call inside apply's transaction.
   */
  private sortedList(): string {
    const listed = this.db.prepare('SELECT count(*) FROM main.subscribers').pluck().get() as number;
    const staged = this.db.prepare('SELECT count(*) FROM temp.import_rows').pluck().get() as number;
    if (staged * 4 < listed) return 'main.subscribers AS s';
    this.db.exec(`
      CREATE TEMP TABLE import_list AS SELECT email, id, status, name FROM main.subscribers;
      CREATE INDEX temp.import_list_email ON import_list (email, id, status, name);`);
    return 'temp.import_list AS s INDEXED BY import_list_email';
  }

  /** Drops the staged rows and gives the connection back its page cache. */
  discard(): void {
    if (!this.db.open) return;
    this.db.exec('DROP TABLE IF EXISTS temp.import_rows; DROP TABLE IF EXISTS temp.import_matches; DROP TABLE IF EXISTS temp.import_list;');
    this.db.pragma(`main.cache_size = ${this.cacheBefore}`);
  }
}

/** A full disk (the database's, or the temporary folder's for the staged rows) as an editor's error; the caller's transaction has rolled back. */
function withDiskErrors<T>(db: Db, work: () => T): T {
  try {
    return work();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'SQLITE_FULL') {
      throw new FintechWeeklyError('the disk is full: nothing was imported, the subscriber list is as it was', {
        cause: error,
        hint: `Free some space on the disk that holds ${db.name} and on the one of the temporary folder (TMPDIR), then import the file again.`,
      });
    }
    if (code === 'SQLITE_BUSY') {
      throw new FintechWeeklyError(`another fintechweekly process kept ${db.name} locked: nothing was imported, the subscriber list is as it was`, {
        cause: error,
        hint: 'Import the file again when the other command (a send, or another import) has finished.',
      });
    }
    throw error;
  }
}

/**
 * For tests: lets the database file grow by at most `pages` more pages (of 4 KiB), the way a disk
 * with that little space left would. Applies to this connection only.
 */
export function limitStoreGrowth(db: Db, pages: number, schema: 'main' | 'temp' = 'main'): void {
  const used = db.pragma(`${schema}.page_count`, { simple: true }) as number;
  db.pragma(`${schema}.max_page_count = ${used + pages}`);
}
