import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignSource } from '../../src/delivery/send-log.js';
import { sqliteCampaignSource } from '../../src/store/campaign-source.js';
import { openDb, type Db } from '../../src/store/db.js';

let dir: string;
let db: Db;
let store: CampaignSource;
const now = new Date('2026-11-27T01:00:00Z');
const issue = { slug: 'klarna', issuePath: 'issues/klarna.md', subject: 'Klarna', contentHash: 'h1' };
const options = { fromEmail: 'newsletter@fintechweekly.example', retryUnknown: false };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-campaign-source-'));
  db = openDb(path.join(dir, 'fintechweekly.db'));
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, created_at, updated_at) VALUES (?, ?, ?, 'x', 'x')`);
  insert.run('a@example.com', 'A', 'active');
  insert.run('b@example.com', null, 'unsubscribed');
  insert.run('c@example.com', 'C', 'active');
  store = sqliteCampaignSource(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the SQLite store as the send engine sees it', () => {
  it('previews the active subscribers before the first run, and the rows still to send after it', () => {
    expect(store.previewRecipients('klarna', false, 5)).toEqual({ count: 2, sample: [{ email: 'a@example.com', name: 'A' }, { email: 'c@example.com', name: 'C' }] });
    expect(store.exampleRecipient()).toMatchObject({ email: 'a@example.com' });
    expect([...store.activeSubscribers()].map((s) => s.email)).toEqual(['a@example.com', 'c@example.com']);
    expect(store.countDeliveries('klarna')).toBeUndefined();

    const { log } = store.openCampaign(issue, options, now);
    const { started } = log.claim([], 1, now);
    log.record({ id: started[0]!.id, state: 'sent', code: 250, reply: '250 ok', at: now });
    log.flush();
    expect(store.previewRecipients('klarna', false, 5)).toEqual({ count: 1, sample: [{ email: 'c@example.com', name: 'C' }] });
    expect(store.countDeliveries('klarna')).toMatchObject({ sent: 1, pending: 1 });
    expect(db.prepare('SELECT status FROM campaigns').get()).toEqual({ status: 'sending' });
  });

  it('opening again reports what the last run left in flight (now unknown) and how many got an earlier version', () => {
    const first = store.openCampaign(issue, options, now);
    expect(first).toMatchObject({ interrupted: 0, sentEarlierVersion: 0 });
    const { started } = first.log.claim([], 2, now);
    first.log.record({ id: started[0]!.id, state: 'sent', code: 250, reply: '250 ok', at: now });
    first.log.flush();
    // The process died with the second row in flight; the issue was edited before the next run.
    const second = store.openCampaign({ ...issue, contentHash: 'h2' }, options, now);
    expect(second).toMatchObject({ interrupted: 1, sentEarlierVersion: 1 });
    expect(second.log.counts()).toMatchObject({ sent: 1, unknown: 1, sending: 0 });
  });

  it('lets one run hold a campaign at a time', () => {
    const held = store.lockCampaign('klarna', now);
    expect(held.acquired).toBe(true);
    expect(store.lockCampaign('klarna', now)).toMatchObject({ acquired: false, holder: { pid: process.pid } });
    const other = store.lockCampaign('other', now);
    expect(other.acquired).toBe(true);
    if (held.acquired) held.release();
    const again = store.lockCampaign('klarna', now);
    expect(again.acquired).toBe(true);
    for (const lock of [other, again]) if (lock.acquired) lock.release();
    expect(db.prepare('SELECT COUNT(*) AS n FROM locks').get()).toEqual({ n: 0 });
  });
});
