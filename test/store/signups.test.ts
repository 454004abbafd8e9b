import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-migrate-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('migration 3 (sign-up)', () => {
  it('rebuilds subscribers to allow "pending" without losing a row, an id, or the send log\'s link to it', () => {
    const file = path.join(dir, 'fintechweekly.db');
    // A store as the previous release left it: schema 2, with subscribers and a send log.
    const old = new Database(file);
    old.pragma('journal_mode = WAL');
    old.pragma('foreign_keys = ON');
    for (const [i, sql] of MIGRATIONS.slice(0, 2).entries()) {
      old.exec(sql);
      old.pragma(`user_version = ${i + 1}`);
    }
    const at = '2026-11-01T00:00:00.000Z';
    old.prepare("INSERT INTO subscribers (id, email, name, status, source, created_at, updated_at) VALUES (7, 'a@example.com', 'A', 'active', 'cli', ?, ?)").run(at, at);
    old.prepare("INSERT INTO subscribers (id, email, status, source, created_at, updated_at, unsubscribed_at) VALUES (9, 'b@example.com', 'unsubscribed', 'import:list.csv', ?, ?, ?)").run(at, at, at);
    old.prepare("INSERT INTO campaigns (id, slug, issue_path, subject, created_at, updated_at) VALUES (1, 'issue', 'issues/issue.md', 'S', ?, ?)").run(at, at);
    old.prepare("INSERT INTO deliveries (campaign_id, subscriber_id, email, state, message_id, created_at, updated_at) VALUES (1, 7, 'a@example.com', 'sent', '<m@x>', ?, ?)").run(at, at);
    old.prepare("INSERT INTO deliveries (campaign_id, subscriber_id, email, state, message_id, created_at, updated_at) VALUES (1, 9, 'b@example.com', 'sent', '<n@x>', ?, ?)").run(at, at);
    old.close();

    const db = openDb(file);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.prepare('SELECT id, email, name, status, source, unsubscribed_at FROM subscribers ORDER BY id').all()).toEqual([
      { id: 7, email: 'a@example.com', name: 'A', status: 'active', source: 'cli', unsubscribed_at: null },
      { id: 9, email: 'b@example.com', name: null, status: 'unsubscribed', source: 'import:list.csv', unsubscribed_at: at },
    ]);
    expect(db.prepare('SELECT subscriber_id FROM deliveries ORDER BY id').all()).toEqual([{ subscriber_id: 7 }, { subscriber_id: 9 }]);
    db.prepare("UPDATE subscribers SET status = 'pending' WHERE id = 9").run();
    expect(() => db.prepare("UPDATE subscribers SET status = 'gone' WHERE id = 9").run()).toThrow(/CHECK/);
    // The send log still points at the rebuilt table: removing a subscriber keeps the log row.
    db.prepare('DELETE FROM subscribers WHERE id = 7').run();
    expect(db.prepare('SELECT subscriber_id, email FROM deliveries ORDER BY id').all()).toEqual([
      { subscriber_id: null, email: 'a@example.com' },
      { subscriber_id: 9, email: 'b@example.com' },
    ]);
    db.close();
  });
});
