import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/store/db.js';
import { campaignStatus, findCampaignSlugByIssuePath } from '../../src/store/status.js';

let dir: string;
let db: Db;
const at = '2026-12-01T00:00:00.000Z';

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-status-'));
  db = openDb(path.join(dir, 'fintechweekly.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function campaign(slug: string, deliveries: [email: string, state: string, code?: number, reply?: string][]): void {
  const { lastInsertRowid } = db
    .prepare("INSERT INTO campaigns (slug, issue_path, subject, status, created_at, updated_at) VALUES (?, ?, 'Klarna', 'done', ?, ?)")
    .run(slug, `issues/${slug}.md`, at, at);
  const insert = db.prepare('INSERT INTO deliveries (campaign_id, email, state, attempts, message_id, last_code, last_reply, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?)');
  for (const [email, state, code, reply] of deliveries) insert.run(lastInsertRowid, email, state, `<${email}>`, code ?? null, reply ?? null, at, at);
}

describe('campaignStatus', () => {
  it('counts every state and lists failed, unknown and deferred deliveries with the last reply', () => {
    campaign('klarna', [
      ['a@example.com', 'sent', 250, '250 OK'],
      ['b@example.com', 'sent', 250, '250 OK'],
      ['z@example.com', 'deferred', 451, '451 4.7.1 try later'],
      ['c@example.com', 'failed', 550, '550 5.1.1 no such user'],
      ['d@example.com', 'unknown'],
      ['e@example.com', 'pending'],
      ['f@example.com', 'skipped'],
    ]);
    campaign('other', [['a@example.com', 'failed', 550, '550 no']]);
    const status = campaignStatus(db, 'klarna');
    expect(status).toMatchObject({ slug: 'klarna', subject: 'Klarna', campaignState: 'done', total: 7 });
    expect(status?.counts).toEqual({ pending: 1, sending: 0, sent: 2, deferred: 1, failed: 1, unknown: 1, skipped: 1 });
    expect(status?.problems.map((p) => [p.email, p.state, p.lastCode, p.lastReply, p.attempts])).toEqual([
      ['c@example.com', 'failed', 550, '550 5.1.1 no such user', 1],
      ['d@example.com', 'unknown', null, null, 1],
      ['z@example.com', 'deferred', 451, '451 4.7.1 try later', 1],
    ]);
  });

  it('knows no campaign it was not told about, and finds one by its issue file', () => {
    expect(campaignStatus(db, 'klarna')).toBeUndefined();
    campaign('klarna', []);
    expect(campaignStatus(db, 'klarna')?.total).toBe(0);
    expect(findCampaignSlugByIssuePath(db, 'issues/klarna.md')).toBe('klarna');
    expect(findCampaignSlugByIssuePath(db, 'issues/other.md')).toBeUndefined();
  });
});
