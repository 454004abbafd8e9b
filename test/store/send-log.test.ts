import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureCampaign, finishCampaign } from '../../src/store/campaigns.js';
import { openDb, type Db } from '../../src/store/db.js';
import { countDeliveries, DeliveryLog, markInterruptedUnknown, snapshotDeliveries } from '../../src/store/deliveries.js';
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
    db.prepare(`UPDATE deliveries SET state = 'sent' WHERE email = 'a@example.com'`).run();
    db.prepare(`INSERT INTO subscribers (email, status, created_at, updated_at) VALUES ('d@example.com', 'active', 'x', 'x')`).run();
    expect(snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now)).toBe(0);
    expect(countDeliveries(db, c.id)).toMatchObject({ pending: 1, sent: 1 });
    expect(campaign().id).toBe(c.id);
  });

  it('commits sending before the send, skips whoever unsubscribed meanwhile, and writes results with the next claim', () => {
    const c = campaign();
    snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now);
    const log = new DeliveryLog(db, c.id, false);
    const rows = log.next(0, 10);
    expect(rows.map((r) => r.email)).toEqual(['a@example.com', 'c@example.com']);
    db.prepare(`UPDATE subscribers SET status = 'unsubscribed' WHERE email = 'c@example.com'`).run();
    const { started, skipped } = log.begin(rows, now);
    expect(started.map((r) => r.email)).toEqual(['a@example.com']);
    expect(skipped.map((r) => r.email)).toEqual(['c@example.com']);
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 1, skipped: 1 });

    log.record({ id: started[0]!.id, state: 'sent', code: 250, reply: '250 queued', at: now });
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 1 }); // not yet committed
    log.flush();
    expect(countDeliveries(db, c.id)).toMatchObject({ sending: 0, sent: 1 });
    expect(finishCampaign(db, c.id, now)).toBe(true);
  });

  it('turns rows a crashed run left in sending into unknown, and puts aborted ones back where they were', () => {
    const c = campaign();
    snapshotDeliveries(db, c, 'newsletter@fintechweekly.example', now);
    const log = new DeliveryLog(db, c.id, false);
    const { started } = log.begin(log.next(0, 10), now);
    log.revert(started.slice(1), now);
    expect(markInterruptedUnknown(db, c.id, now)).toBe(1);
    expect(countDeliveries(db, c.id)).toMatchObject({ unknown: 1, pending: 1 });
    expect(new DeliveryLog(db, c.id, false).next(0, 10).map((r) => r.state)).toEqual(['pending']);
    expect(new DeliveryLog(db, c.id, true).next(0, 10).map((r) => r.state)).toEqual(['unknown', 'pending']);
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
