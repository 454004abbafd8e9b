import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCampaign, finishCampaign } from '../../src/store/campaigns.js';
import { openDb, type Db } from '../../src/store/db.js';
import { countDeliveries, markInterruptedUnknown, snapshotDeliveries, SqliteSendLog } from '../../src/store/deliveries.js';
import { acquireLock } from '../../src/store/locks.js';

let dir: string;
let db: Db;
const now = new Date('2026-11-27T01:00:00Z');
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-send-log-'));
  db = openDb(path.join(dir, 'fintechweekly.db'));
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, created_at, updated_at) VALUES (?, ?, ?, 'x', 'x')`);
  insert.run('a@example.com', 'A', 'active');
  insert.run('b@example.com', null, 'unsubscribed');
  insert.run('c@example.com', 'C', 'active');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const campaign = () => ensureCampaign(db, { slug: 'klarna', issuePath: 'issues/klarna.md', subject: 'Klarna', contentHash: 'h1' }, now);

describe('send log', () => {
  it('takes the recipient list once: a repeat adds nobody, not even newcomers, and keeps every existing row', () => {
    const c = campaign();
    expect(snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now)).toBe(2);
    // Each row gets its own random Message-ID once; a resumed run reads the same ones back.
    const ids = () => db.prepare('SELECT message_id FROM deliveries ORDER BY id').pluck().all() as string[];
    const first = ids();
    expect(first).toEqual([expect.stringMatching(/^<klarna\.[0-9a-f]{32}@fintechweekly\.example>$/), expect.stringMatching(/^<klarna\.[0-9a-f]{32}@/)]);
    expect(new Set(first).size).toBe(2);
    db.prepare(`UPDATE deliveries SET state = 'sent' WHERE email = 'a@example.com'`).run();
    db.prepare(`INSERT INTO subscribers (email, status, created_at, updated_at) VALUES ('d@example.com', 'active', 'x', 'x')`).run();
    expect(snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now)).toBe(0);
    expect(countDeliveries(db, c.id)).toMatchObject({ pending: 1, sent: 1 });
    expect(campaign().id).toBe(c.id);
    expect(ids()).toEqual(first);
  });

  it('commits sending before the send, skips whoever unsubscribed meanwhile, and writes results with the next claim', () => {
    const c = campaign();
    snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now);
    const log = new SqliteSendLog(db, c.id, false);
    db.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE email = 'c@example.com'`).run();
    const { started, skipped, exhausted } = log.claim([], 10, now);
    expect([...started, ...skipped].map((r) => r.email).sort()).toEqual(['a@example.com', 'c@example.com']);
    expect(started.map((r) => r.email)).toEqual(['a@example.com']);
    expect(skipped.map((r) => r.email)).toEqual(['c@example.com']);
    expect(exhausted).toBe(true);
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 1, skipped: 1 });

    log.record({ id: started[0]!.id, state: 'sent', code: 250, reply: '250 queued', at: now });
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 1 }); // not yet committed
    log.flush();
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 0, sent: 1 });
    expect(finishCampaign(db, c.id, now)).toBe(true);
  });

  it('hands out each row once per run, behind its cursor, and a retry again when asked', () => {
    const c = campaign();
    snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now);
    const log = new SqliteSendLog(db, c.id, false);
    const first = log.claim([], 1, now);
    expect(first.started.map((r) => r.email)).toEqual(['a@example.com']);
    expect(first.exhausted).toBe(false);
    log.record({ id: first.started[0]!.id, state: 'deferred', code: 451, reply: '451 later', at: now, nextAttemptAt: now });
    const second = log.claim([], 5, now);
    expect(second.started.map((r) => r.email)).toEqual(['c@example.com']);
    expect(second.exhausted).toBe(true);
    expect(log.counts()).toMatchObject({ deferred: 1, sending: 1 });
    const retry = log.claim([{ ...first.started[0]!, state: 'deferred' }], 5, now);
    expect(retry.started).toMatchObject([{ email: 'a@example.com', attempts: 2 }]);
    expect(log.counts()).toMatchObject({ sending: 2 });
  });

  it('turns rows a crashed run left in sending into unknown, and puts aborted ones back where they were', () => {
    const c = campaign();
    snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now);
    const log = new SqliteSendLog(db, c.id, false);
    const { started } = log.claim([], 10, now);
    log.release(started.slice(1), now);
    expect(markInterruptedUnknown(db, c.id, now)).toBe(1);
    expect(countDeliveries(db, c.id)).toMatchObject({ unknown: 1, pending: 1 });
    const pendingOnly = new SqliteSendLog(db, c.id, false).claim([], 10, now).started;
    expect(pendingOnly.map((r) => r.state)).toEqual(['pending']);
    new SqliteSendLog(db, c.id, false).release(pendingOnly, now);
    expect(new SqliteSendLog(db, c.id, true).claim([], 10, now).started.map((r) => r.state)).toEqual(['unknown', 'pending']);
  });

  it('on a full disk (SQLITE_FULL) still records each result\'s state, without its reply, and says so by throwing', () => {
    const insert = db.prepare(`INSERT INTO subscribers (email, status, created_at, updated_at) VALUES (?, 'active', 'x', 'x')`);
    for (let i = 0; i < 100; i++) insert.run(`reader${i}@example.com`);
    const c = campaign();
    snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now);
    const log = new SqliteSendLog(db, c.id, false);
    const { started } = log.claim([], 200, now);
    // The database may not grow from here on: the pages it has are all it gets.
    db.pragma('max_page_count = 1');
    for (const row of started) log.record({ id: row.id, state: 'sent', code: 250, reply: `250 ${'queued '.repeat(140)}`, at: now });
    expect(() => log.flush()).toThrow(expect.objectContaining({ code: 'SQLITE_FULL' }));
    expect(log.unflushed).toBe(0);
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 0, sent: 102 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM deliveries WHERE last_reply IS NOT NULL').get()).toEqual({ n: 0 });
  });
});

describe('acquireLock', () => {
  it('refuses while a live process holds the lock, takes over a dead holder\'s, and releases', () => {
    db.prepare(`INSERT INTO locks (name, pid, host, acquired_at) VALUES ('campaign:klarna', ?, ?, 'x')`).run(process.ppid, hostname());
    const refused = acquireLock(db, 'campaign:klarna', now);
    expect(refused).toEqual({ acquired: false, holder: { pid: process.ppid, host: hostname(), acquiredAt: 'x' } });

    db.prepare(`UPDATE locks SET pid = ?`).run(2 ** 22 + 7);
    const taken = acquireLock(db, 'campaign:klarna', now);
    expect(taken.acquired).toBe(true);
    expect(acquireLock(db, 'campaign:klarna', now).acquired).toBe(false); // held by this process now
    if (taken.acquired) taken.release();
    expect(db.prepare('SELECT COUNT(*) AS n FROM locks').get()).toEqual({ n: 0 });
  });

  it('respects a holder on another host (its pid cannot be checked from here)', () => {
    db.prepare(`INSERT INTO locks (name, pid, host, acquired_at) VALUES ('dispatch', 1, 'other-host.example', 'x')`).run();
    expect(acquireLock(db, 'dispatch', now).acquired).toBe(false);
  });
});
