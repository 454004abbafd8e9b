import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { FintechWeeklyError } from '../core/errors.js';
import { MIGRATIONS } from './migrations.js';
import { openSqlite, type Sqlite, type SqliteStatement } from './sqlite.js';

export type Db = Sqlite;

/**
 * Opens (creating if needed) the store and brings its schema up to date.
 * WAL lets `status` and `serve` read while a send writes; synchronous=FULL makes every committed
 * send-log row survive a power cut, which the "never send twice" promise depends on.
 */
export function openDb(file: string): Db {
  mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = openSqlite(file, { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw new FintechWeeklyError(`cannot open the database ${file}: ${(error as Error).message}`, {
      file,
      cause: error,
      hint: 'Check FINTECHWEEKLY_DB and that the folder is writable.',
    });
  }
  db.pragma('synchronous = FULL');
  migrate(db, file);
  db.pragma('foreign_keys = ON');
  return db;
}

function migrate(db: Db, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new FintechWeeklyError(`the database ${file} was written by a newer fintechweekly (schema ${current}, this one knows ${MIGRATIONS.length})`, {
      file,
      hint: 'Upgrade fintechweekly; do not downgrade over a database in use.',
    });
  }
  if (current === MIGRATIONS.length) return;
  // A migration that rebuilds a table drops the old one: with foreign keys on, that would run the
  // ON DELETE actions of the rows pointing at it (the send log would lose its subscriber ids).
  // SQLite only switches them outside a transaction; foreign_key_check proves nothing dangles.
  db.pragma('foreign_keys = OFF');
  try {
    for (let version = current; version < MIGRATIONS.length; version++) {
      const sql = MIGRATIONS[version] as string;
      // IMMEDIATE: two processes opening a new database at once must not both migrate it.
      db.transaction(() => {
        const now = db.pragma('user_version', { simple: true }) as number;
        if (now > version) return;
        db.exec(sql);
        const dangling = db.pragma('foreign_key_check') as unknown[];
        if (dangling.length > 0) throw new FintechWeeklyError(`migrating the database ${file} to schema ${version + 1} left ${dangling.length} broken reference(s); nothing was changed`, { file });
        db.pragma(`user_version = ${version + 1}`);
      }).immediate();
    }
  } finally {
    db.pragma('foreign_keys = ON');
  }
}

const statements = new WeakMap<Db, Map<string, SqliteStatement>>();

/**
 * The prepared statement for `sql` on this connection, compiled on first use: compiling costs
 * more than running a small query, which counts on a hot path (the sign-up form).
 */
export function statement(db: Db, sql: string): SqliteStatement {
  let prepared = statements.get(db);
  if (!prepared) statements.set(db, (prepared = new Map()));
  let compiled = prepared.get(sql);
  if (!compiled) prepared.set(sql, (compiled = db.prepare(sql)));
  return compiled;
}

/** Opens the store, runs `work` with it and closes it, also when `work` throws. */
export async function withStore<T>(file: string, work: (db: Db) => T | Promise<T>): Promise<T> {
  const db = openDb(file);
  try {
    return await work(db);
  } finally {
    db.close();
  }
}
