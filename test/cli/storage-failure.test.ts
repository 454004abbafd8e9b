import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandLine, describeStorageFailure, storageFailure } from '../../src/cli/storage-failure.js';
import { FintechWeeklyError } from '../../src/core/errors.js';
import { openDb } from '../../src/store/db.js';

/** Real errors from real SQLite and the real system, as commands meet them. */
let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-storage-'));
  file = path.join(dir, 'fintechweekly.db');
  openDb(file).close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('storageFailure', () => {
  it('knows a full store, a read-only one and a locked one by SQLite\'s codes', () => {
    const full = new Database(file);
    full.pragma('max_page_count = 1');
    const noRoom = thrown(() => full.prepare('INSERT INTO subscribers (email, name, created_at, updated_at) VALUES (?, ?, ?, ?)').run('a@example.com', 'x'.repeat(20_000), 'x', 'x'));
    full.close();
    expect(storageFailure(noRoom)).toEqual({ kind: 'full', code: 'SQLITE_FULL', path: undefined });

    const readOnly = new Database(file, { readonly: true });
    expect(storageFailure(thrown(() => readOnly.prepare(`DELETE FROM subscribers`).run()))).toMatchObject({ kind: 'read-only', path: undefined });
    readOnly.close();

    const holder = new Database(file);
    holder.prepare('BEGIN IMMEDIATE').run();
    const waiter = new Database(file, { timeout: 0 });
    expect(storageFailure(thrown(() => waiter.prepare('BEGIN IMMEDIATE').run()))).toMatchObject({ kind: 'locked', code: expect.stringMatching(/^SQLITE_BUSY/) });
    waiter.close();
    holder.close();
  });

  it('knows a full disk by the system\'s ENOSPC, also behind a wrapper that names the file', () => {
    const error = thrown(() => writeFileSync('/dev/full', 'x'));
    expect(storageFailure(error)).toEqual({ kind: 'full', code: 'ENOSPC', path: undefined });
    const wrapped = new FintechWeeklyError('cannot write dist/klarna/email.html', { file: '/p/dist/klarna/email.html', cause: error });
    expect(storageFailure(wrapped)).toEqual({ kind: 'full', code: 'ENOSPC', path: '/p/dist/klarna/email.html' });
  });

  it('leaves every other error alone', () => {
    expect(storageFailure(thrown(() => writeFileSync(path.join(dir, 'missing', 'x'), 'x')))).toBeUndefined();
    expect(storageFailure(new FintechWeeklyError('issue "x" not found'))).toBeUndefined();
    expect(storageFailure('SQLITE_FULL')).toBeUndefined();
  });
});

describe('describeStorageFailure and commandLine', () => {
  it('say in one line what happened, what to fix, that nothing was lost and what to run again', () => {
    const again = `run \`${commandLine(['subscribers', 'import', 'my readers.csv'])}\` again`;
    expect(again).toBe("run `fintechweekly subscribers import 'my readers.csv'` again");
    expect(describeStorageFailure({ kind: 'full', code: 'SQLITE_FULL', path: undefined }, '/p/fintechweekly.db', again)).toBe(
      "the disk holding /p/fintechweekly.db is full (SQLITE_FULL); nothing was lost: free some space on it, then run `fintechweekly subscribers import 'my readers.csv'` again.",
    );
    expect(describeStorageFailure({ kind: 'read-only', code: 'EROFS', path: '/p/dist/klarna/email.html.tmp-1' }, '/p/fintechweekly.db', 'run it again')).toBe(
      '/p/dist/klarna is read-only (EROFS); nothing was lost: make it writable, then run it again.',
    );
    expect(describeStorageFailure({ kind: 'locked', code: 'SQLITE_BUSY', path: undefined }, '/p/fintechweekly.db', 'run it again')).toContain('the database /p/fintechweekly.db is locked by another program (SQLITE_BUSY); nothing was lost');
  });
});
