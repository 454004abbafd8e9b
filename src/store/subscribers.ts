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
  resubscribe?: boolean;
  /** Replace stored names with the file's (by default a name is only filled in where none is stored). */
  updateNames?: boolean;
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

/**
 * Imports parsed CSV rows in ONE transaction: either all of them are stored or, if anything
 * fails, none. Idempotent: importing the same rows again reports them all unchanged.
 * - A new address is added with the file's status (default active).
 * - An unsubscribed or bounced address is never made active again unless `resubscribe`.
 * - A row marked unsubscribed or bounced in the file suppresses an active address too: importing
 *   another tool's export must never mail someone who left there.
 * - An empty name in the file never erases a stored one.
 */
export function importSubscribers(db: Db, rows: readonly CsvSubscriberRow[], options: ImportOptions): ImportSummary {
  const summary: ImportSummary = { added: 0, updated: 0, resubscribed: 0, unchanged: 0, skippedUnsubscribed: [] };
  const find = db.prepare('SELECT * FROM subscribers WHERE email = ?');
  const insert = db.prepare('INSERT INTO subscribers (email, name, status, source, created_at, updated_at, unsubscribed_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const update = db.prepare('UPDATE subscribers SET name = ?, status = ?, unsubscribed_at = ?, updated_at = ? WHERE id = ?');
  const source = `import:${options.source}`;
  db.transaction(() => {
    const at = now();
    for (const row of rows) {
      const existing = find.get(row.email) as Subscriber | undefined;
      if (!existing) {
        const status = row.status ?? 'active';
        insert.run(row.email, row.name ?? null, status, source, at, at, status === 'active' ? null : at);
        summary.added++;
        continue;
      }
      const wantsActive = row.status === undefined || row.status === 'active';
      let status = existing.status;
      let outcome: 'resubscribed' | 'updated' | 'unchanged' = 'unchanged';
      if (!wantsActive && existing.status === 'active') {
        status = row.status as SubscriberStatus;
        outcome = 'updated';
      } else if (wantsActive && existing.status !== 'active') {
        if (!options.resubscribe) {
          summary.skippedUnsubscribed.push({ line: row.line, email: row.email, status: existing.status });
          continue;
        }
        status = 'active';
        outcome = 'resubscribed';
      }
      const replaceName = row.name !== undefined && row.name !== existing.name && (existing.name === null || options.updateNames === true);
      const name = replaceName ? (row.name as string) : existing.name;
      if (replaceName && outcome === 'unchanged') outcome = 'updated';
      if (outcome === 'unchanged') {
        summary.unchanged++;
        continue;
      }
      const unsubscribedAt = status === 'active' ? null : (existing.unsubscribed_at ?? at);
      update.run(name, status, unsubscribedAt, at, existing.id);
      summary[outcome]++;
    }
  }).immediate();
  return summary;
}
