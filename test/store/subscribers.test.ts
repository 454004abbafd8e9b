import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/store/db.js';
import {
  addSubscriber,
  countSubscribers,
  getSubscriberByEmail,
  getSubscriberById,
  limitStoreGrowth,
  listSubscribers,
  removeSubscriber,
  resubscribe,
  SubscriberImport,
  unsubscribe,
  type ImportOptions,
} from '../../src/store/subscribers.js';
import { readSubscriberCsvText } from '../helpers/subscriber-csv.js';

let dir: string;
let dbPath: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-subscribers-'));
  dbPath = path.join(dir, 'fintechweekly.db');
  db = openDb(dbPath);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const rows = (csv: string) => readSubscriberCsvText(csv, 'list.csv').rows;
/** Stages rows, drops the file's duplicates and applies them, as the import use-case does. */
const importSubscribers = (store: Db, staged: ReturnType<typeof rows>, options: ImportOptions, at = new Date()) => {
  const subscriberImport = new SubscriberImport(store);
  try {
    subscriberImport.stage(staged);
    subscriberImport.removeDuplicates();
    return subscriberImport.apply(options, at);
  } finally {
    subscriberImport.discard();
  }
};
const all = () => [...listSubscribers(db)].map((s) => ({ email: s.email, name: s.name, status: s.status }));

describe('add, remove, unsubscribe, resubscribe', () => {
  it('adds a normalized address and refuses it a second time in any case', () => {
    const jane = addSubscriber(db, { email: ' Jane@Example.com ', name: 'Jane' });
    expect(jane).toMatchObject({ email: 'jane@example.com', name: 'Jane', status: 'active', source: 'cli', unsubscribed_at: null });
    expect(getSubscriberById(db, jane.id)?.email).toBe('jane@example.com');
    expect(() => addSubscriber(db, { email: 'JANE@example.com' })).toThrow('jane@example.com is already on the list (status: active)');
    expect(countSubscribers(db)).toEqual({ active: 1, pending: 0, unsubscribed: 0, bounced: 0, total: 1 });
  });

  it('refuses an invalid address or a name with a line break, storing nothing', () => {
    expect(() => addSubscriber(db, { email: 'jane@localhost' })).toThrow('invalid address: "jane@localhost": the domain "localhost" has no dot');
    expect(() => addSubscriber(db, { email: 'jane@example.com', name: 'Jane\r\nBcc: x@example.com' })).toThrow('line break');
    expect(all()).toEqual([]);
  });

  it('unsubscribes by address or by id, idempotently, keeping the first time', () => {
    const jane = addSubscriber(db, { email: 'jane@example.com' });
    const first = unsubscribe(db, 'JANE@example.com');
    expect(first).toMatchObject({ changed: true, subscriber: { status: 'unsubscribed' } });
    const again = unsubscribe(db, jane.id);
    expect(again.changed).toBe(false);
    expect(again.subscriber?.unsubscribed_at).toBe(first.subscriber?.unsubscribed_at);
    expect(unsubscribe(db, 'nobody@example.com')).toEqual({ changed: false, subscriber: undefined });
    expect(unsubscribe(db, 9999)).toEqual({ changed: false, subscriber: undefined });
    expect(resubscribe(db, 'jane@example.com')).toMatchObject({ changed: true, subscriber: { status: 'active', unsubscribed_at: null } });
    expect(resubscribe(db, 'jane@example.com').changed).toBe(false);
  });

  it('removing a subscriber keeps their rows in the send log', () => {
    const jane = addSubscriber(db, { email: 'jane@example.com', name: 'Jane' });
    const at = '2026-12-01T00:00:00.000Z';
    const campaign = db.prepare("INSERT INTO campaigns (slug, issue_path, subject, created_at, updated_at) VALUES ('klarna', 'issues/klarna.md', 'Klarna', ?, ?)").run(at, at);
    db.prepare("INSERT INTO deliveries (campaign_id, subscriber_id, email, name, state, message_id, created_at, updated_at) VALUES (?, ?, 'jane@example.com', 'Jane', 'sent', '<m@example.com>', ?, ?)").run(
      campaign.lastInsertRowid,
      jane.id,
      at,
      at,
    );
    expect(removeSubscriber(db, 'Jane@Example.com')).toBe(true);
    expect(removeSubscriber(db, 'jane@example.com')).toBe(false);
    expect(getSubscriberByEmail(db, 'jane@example.com')).toBeUndefined();
    expect(db.prepare('SELECT subscriber_id, email, state FROM deliveries').all()).toEqual([{ subscriber_id: null, email: 'jane@example.com', state: 'sent' }]);
  });

  it('lists by status, in the order they were added', () => {
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) addSubscriber(db, { email });
    unsubscribe(db, 'b@example.com');
    expect([...listSubscribers(db, { status: 'active' })].map((s) => s.email)).toEqual(['a@example.com', 'c@example.com']);
    expect([...listSubscribers(db, { status: 'unsubscribed' })].map((s) => s.email)).toEqual(['b@example.com']);
    expect([...listSubscribers(db)].map((s) => s.email)).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
  });
});

describe('SubscriberImport', () => {
  const csv = 'email,name\njane@example.com,Jane\nbudi@example.com,\nsiti@example.com,Siti\n';

  it('is idempotent: a second import adds nobody and changes nothing', () => {
    expect(importSubscribers(db, rows(csv), { source: 'list.csv' })).toEqual({ added: 3, updated: 0, resubscribed: 0, unchanged: 0, skippedUnsubscribed: [] });
    const before = all();
    expect(importSubscribers(db, rows(csv), { source: 'list.csv' })).toEqual({ added: 0, updated: 0, resubscribed: 0, unchanged: 3, skippedUnsubscribed: [] });
    expect(all()).toEqual(before);
    expect(getSubscriberByEmail(db, 'jane@example.com')?.source).toBe('import:list.csv');
  });

  it('never re-subscribes an unsubscribed or bounced address unless asked to', () => {
    importSubscribers(db, rows(csv), { source: 'list.csv' });
    unsubscribe(db, 'jane@example.com');
    db.prepare("UPDATE subscribers SET status = 'bounced' WHERE email = 'budi@example.com'").run();
    const summary = importSubscribers(db, rows(csv), { source: 'list.csv' });
    expect(summary.skippedUnsubscribed).toEqual([
      { line: 2, email: 'jane@example.com', status: 'unsubscribed' },
      { line: 3, email: 'budi@example.com', status: 'bounced' },
    ]);
    expect(summary.unchanged).toBe(1);
    expect(getSubscriberByEmail(db, 'jane@example.com')?.status).toBe('unsubscribed');
    expect(importSubscribers(db, rows(csv), { source: 'list.csv', resubscribe: true })).toMatchObject({ resubscribed: 2, unchanged: 1 });
    expect(countSubscribers(db)).toMatchObject({ active: 3 });
  });

  it('fills in a missing name but replaces a stored one only with updateNames; an empty cell erases nothing', () => {
    importSubscribers(db, rows(csv), { source: 'list.csv' });
    const renamed = 'email,name\njane@example.com,Jane Doe\nbudi@example.com,Budi\nsiti@example.com,\n';
    expect(importSubscribers(db, rows(renamed), { source: 'list.csv' })).toMatchObject({ updated: 1, unchanged: 2 });
    expect(all().map((s) => s.name)).toEqual(['Jane', 'Budi', 'Siti']);
    expect(importSubscribers(db, rows(renamed), { source: 'list.csv', updateNames: true })).toMatchObject({ updated: 1, unchanged: 2 });
    expect(all().map((s) => s.name)).toEqual(['Jane Doe', 'Budi', 'Siti']);
  });

  it("honours the file's status column: unsubscribed rows are stored unsubscribed and suppress active ones", () => {
    addSubscriber(db, { email: 'jane@example.com' });
    const summary = importSubscribers(db, rows('email,status\njane@example.com,unsubscribed\nnew@example.com,bounced\n'), { source: 'old-tool.csv', resubscribe: true });
    expect(summary).toMatchObject({ added: 1, updated: 1 });
    expect(all()).toEqual([
      { email: 'jane@example.com', name: null, status: 'unsubscribed' },
      { email: 'new@example.com', name: null, status: 'bounced' },
    ]);
  });

  it('runs in one transaction: a failure on a later row leaves nothing of the import written', () => {
    addSubscriber(db, { email: 'kept@example.com' });
    // A real SQLite failure in the middle of the import (as a full disk would cause), after kept's name was filled in.
    db.exec("CREATE TRIGGER fail_import BEFORE INSERT ON subscribers WHEN NEW.email = 'siti@example.com' BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => importSubscribers(db, rows(`email,name\nkept@example.com,Kept\n${csv.split('\n').slice(1).join('\n')}`), { source: 'list.csv' })).toThrow('disk full');
    expect(all()).toEqual([{ email: 'kept@example.com', name: null, status: 'active' }]);
    // The same database, reopened, agrees: nothing half-written reached the file.
    db.close();
    db = openDb(dbPath);
    expect(countSubscribers(db).total).toBe(1);
  });

  it('finds an address given twice in the file across staged batches, keeps the first and says where it was', () => {
    const subscriberImport = new SubscriberImport(db);
    try {
      subscriberImport.stage(rows('email\na@example.com\nb@example.com\n'));
      subscriberImport.stage([
        { line: 4, email: 'b@example.com', name: 'B again', status: undefined },
        { line: 5, email: 'a@example.com', name: undefined, status: 'unsubscribed' },
        { line: 6, email: 'a@example.com', name: undefined, status: undefined },
      ]);
      expect(subscriberImport.removeDuplicates()).toEqual([
        { line: 4, email: 'b@example.com', first: 3 },
        { line: 5, email: 'a@example.com', first: 2 },
        { line: 6, email: 'a@example.com', first: 2 },
      ]);
      expect(subscriberImport.apply({ source: 'list.csv' }, new Date())).toMatchObject({ added: 2 });
    } finally {
      subscriberImport.discard();
    }
    expect(all()).toEqual([
      { email: 'a@example.com', name: null, status: 'active' },
      { email: 'b@example.com', name: null, status: 'active' },
    ]);
  });

  it('turns a full disk (SQLITE_FULL) into one clear error and rolls back everything', () => {
    addSubscriber(db, { email: 'kept@example.com' });
    limitStoreGrowth(db, 2);
    const many = Array.from({ length: 2000 }, (_, i) => ({ line: i + 2, email: `user${i}@example.com`, name: `User ${i}`, status: undefined }));
    expect(() => importSubscribers(db, many, { source: 'list.csv' })).toThrow('the disk is full: nothing was imported, the subscriber list is as it was');
    expect(all()).toEqual([{ email: 'kept@example.com', name: null, status: 'active' }]);
  });

  it('matches a small file against a long list by address lookups, and a long file against a sorted copy, alike', () => {
    for (const listed of [2, 40]) {
      db.exec('DELETE FROM subscribers');
      const file = 'email,name,status\nfiller0@example.com,Filler Zero,\nnew@example.com,New,\n';
      importSubscribers(db, rows(`email\n${Array.from({ length: listed }, (_, i) => `filler${i}@example.com`).join('\n')}\n`), { source: 'old.csv' });
      unsubscribe(db, 'filler1@example.com');
      const summary = importSubscribers(db, rows(`${file}filler1@example.com,,\n`), { source: 'new.csv' });
      expect(summary, `${listed} on the list`).toEqual({ added: 1, updated: 1, resubscribed: 0, unchanged: 0, skippedUnsubscribed: [{ line: 4, email: 'filler1@example.com', status: 'unsubscribed' }] });
      expect(all().filter((s) => s.name !== null)).toEqual([
        { email: 'filler0@example.com', name: 'Filler Zero', status: 'active' },
        { email: 'new@example.com', name: 'New', status: 'active' },
      ]);
    }
  });

  it('gives the connection its page cache back when done', () => {
    const before = db.pragma('main.cache_size', { simple: true });
    importSubscribers(db, rows(csv), { source: 'list.csv' });
    expect(db.pragma('main.cache_size', { simple: true })).toBe(before);
  });
});
