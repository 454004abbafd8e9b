import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/store/db.js';
import { cancelSchedule, dueCampaigns, listSchedules, scheduleCampaign, syncFrontMatterSchedule } from '../../src/store/schedule.js';

let dir: string;
let db: Db;
const now = new Date('2026-12-01T00:00:00Z');
const at = (iso: string) => new Date(iso);
const issue = { slug: 'klarna', issuePath: 'issues/klarna.md', subject: 'Klarna', now };

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-schedule-'));
  db = openDb(path.join(dir, 'fintechweekly.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const campaignCount = () => (db.prepare('SELECT COUNT(*) AS n FROM campaigns').get() as { n: number }).n;

describe('schedule store', () => {
  it('scheduling the same issue twice moves the time and keeps one campaign', () => {
    expect(scheduleCampaign(db, { ...issue, sendAt: at('2026-12-02T00:00:00Z') })).toEqual({ previousSendAt: null });
    expect(scheduleCampaign(db, { ...issue, sendAt: at('2026-12-03T00:00:00Z') })).toEqual({ previousSendAt: '2026-12-02T00:00:00.000Z' });
    expect(campaignCount()).toBe(1);
    expect(listSchedules(db)).toMatchObject([{ slug: 'klarna', status: 'scheduled', sendAt: '2026-12-03T00:00:00.000Z', scheduledBy: 'cli' }]);
  });

  it('is due once its time has come, not before; cancel takes it off', () => {
    scheduleCampaign(db, { ...issue, sendAt: at('2026-12-01T01:00:00Z') });
    expect(dueCampaigns(db, now)).toEqual([]);
    expect(dueCampaigns(db, at('2026-12-01T01:00:00Z'))).toMatchObject([{ slug: 'klarna', reason: 'scheduled' }]);
    cancelSchedule(db, 'klarna', now);
    expect(dueCampaigns(db, at('2026-12-02T00:00:00Z'))).toEqual([]);
    expect(() => cancelSchedule(db, 'klarna', now)).toThrow(/not scheduled/);
  });

  it('refuses to reschedule or cancel a campaign that is sending or done', () => {
    scheduleCampaign(db, { ...issue, sendAt: now });
    db.prepare(`UPDATE campaigns SET status = 'sending'`).run();
    expect(() => scheduleCampaign(db, { ...issue, sendAt: at('2026-12-05T00:00:00Z') })).toThrow(/being sent now/);
    expect(dueCampaigns(db, now)).toMatchObject([{ slug: 'klarna', reason: 'interrupted' }]);
    db.prepare(`UPDATE campaigns SET status = 'done', finished_at = '2026-12-01T00:10:00.000Z'`).run();
    expect(() => cancelSchedule(db, 'klarna', now)).toThrow(/already sent/);
    expect(dueCampaigns(db, now)).toEqual([]);
  });

  it('a sending campaign is due while deliveries are pending or none exist, not when only unknown ones are left', () => {
    scheduleCampaign(db, { ...issue, sendAt: now });
    db.prepare(`UPDATE campaigns SET status = 'sending'`).run();
    expect(dueCampaigns(db, now)).toMatchObject([{ reason: 'interrupted' }]);
    const insert = db.prepare(
      `INSERT INTO deliveries (campaign_id, email, state, message_id, created_at, updated_at) VALUES (1, ?, ?, ?, '', '')`,
    );
    insert.run('a@example.com', 'unknown', '<a@example.com>');
    insert.run('b@example.com', 'sent', '<b@example.com>');
    expect(dueCampaigns(db, now)).toEqual([]);
    insert.run('c@example.com', 'pending', '<c@example.com>');
    expect(dueCampaigns(db, now)).toMatchObject([{ slug: 'klarna', reason: 'interrupted' }]);
  });

  it('a done campaign is due again when a deferred delivery reaches its retry time', () => {
    scheduleCampaign(db, { ...issue, sendAt: now });
    db.prepare(`UPDATE campaigns SET status = 'done'`).run();
    db.prepare(
      `INSERT INTO deliveries (campaign_id, email, state, message_id, next_attempt_at, created_at, updated_at)
       VALUES (1, 'a@example.com', 'deferred', '<m@example.com>', '2026-12-01T00:30:00.000Z', '', '')`,
    ).run();
    expect(dueCampaigns(db, now)).toEqual([]);
    expect(dueCampaigns(db, at('2026-12-01T00:30:00Z'))).toMatchObject([{ slug: 'klarna', reason: 'deferred' }]);
    expect(listSchedules(db)[0]?.counts).toMatchObject({ deferred: 1, sent: 0 });
  });

  it('front matter schedules, moves and drops its own schedule but never overrides the editor', () => {
    expect(syncFrontMatterSchedule(db, { ...issue, sendAt: at('2026-12-02T00:00:00Z') })).toEqual({ change: 'scheduled', sendAt: '2026-12-02T00:00:00.000Z' });
    expect(syncFrontMatterSchedule(db, { ...issue, sendAt: at('2026-12-02T00:00:00Z') })).toBeUndefined();
    expect(syncFrontMatterSchedule(db, { ...issue, sendAt: at('2026-12-04T00:00:00Z') })).toMatchObject({ change: 'moved' });
    expect(syncFrontMatterSchedule(db, { ...issue, sendAt: undefined })).toMatchObject({ change: 'unscheduled' });
    expect(dueCampaigns(db, at('2027-01-01T00:00:00Z'))).toEqual([]);

    scheduleCampaign(db, { ...issue, sendAt: at('2026-12-05T00:00:00Z') });
    expect(syncFrontMatterSchedule(db, { ...issue, sendAt: at('2026-12-02T00:00:00Z') })).toBeUndefined();
    cancelSchedule(db, 'klarna', now);
    expect(syncFrontMatterSchedule(db, { ...issue, sendAt: at('2026-12-02T00:00:00Z') })).toBeUndefined();
    expect(listSchedules(db)).toMatchObject([{ status: 'cancelled', sendAt: '2026-12-05T00:00:00.000Z' }]);
    expect(campaignCount()).toBe(1);
  });
});
