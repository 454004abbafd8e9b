import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cancelScheduledIssue } from '../../src/app/cancel-scheduled-issue.js';
import { listScheduledIssues } from '../../src/app/list-scheduled-issues.js';
import { scheduleIssue, type ScheduleIssueInput } from '../../src/app/schedule-issue.js';
import type { Settings } from '../../src/config/load.js';
import { EXIT } from '../../src/core/errors.js';
import { recordSend } from '../helpers/send-log.js';
import { KLARNA, settingsOf, tempProject, type TempProject } from '../helpers/temp-project.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const NOW = new Date('2026-11-30T00:00:00.000Z');
const now = () => NOW;

function setup(timezone?: string): { p: TempProject; settings: Settings } {
  const p = tempProject();
  project = p;
  if (timezone) p.write('fintechweekly.config.yaml', readFileSync(path.join(p.dir, 'fintechweekly.config.yaml'), 'utf8').replace(/^timezone: .*$/m, `timezone: ${timezone}`));
  return { p, settings: settingsOf(p.dir) };
}

const schedule = (settings: Settings, input: Partial<ScheduleIssueInput>, onWarning?: (w: { file: string; message: string }) => void) =>
  scheduleIssue(settings, { ref: KLARNA, at: undefined, allowPast: false, cwd: settings.root, ...input }, { now, onWarning });

const entries = async (settings: Settings) => (await listScheduledIssues(settings, { now })).entries;

describe('scheduleIssue', () => {
  it('reads a time without an offset in the configured zone, one with an offset as that instant; scheduling again moves the one schedule', async () => {
    const { settings } = setup();
    const jakarta = await schedule(settings, { at: '2026-12-01T07:00' });
    expect(jakarta).toEqual({
      slug: KLARNA,
      issue: `issues/${KLARNA}.md`,
      subject: 'CEO Klarna Peringatkan Kehilangan Pekerjaan Akibat AI Bisa Memicu Resesi',
      sendAt: '2026-12-01T00:00:00.000Z',
      local: '2026-12-01 07:00 Asia/Jakarta (UTC+07:00) = 2026-12-01 00:00 UTC',
      timezone: 'Asia/Jakarta',
      previousSendAt: null,
      due: false,
      frontMatterSendAt: undefined,
      ambiguous: false,
    });
    const moved = await schedule(settings, { at: '2026-12-01T07:00-05:00' });
    expect(moved).toMatchObject({ sendAt: '2026-12-01T12:00:00.000Z', previousSendAt: '2026-12-01T00:00:00.000Z' });
    expect(await entries(settings)).toMatchObject([{ slug: KLARNA, status: 'scheduled', sendAt: '2026-12-01T12:00:00.000Z', scheduledBy: 'cli', counts: { sent: 0, pending: 0 } }]);
  });

  it('refuses a time in the past unless allowed, and a malformed time, storing nothing', async () => {
    const { settings } = setup();
    await expect(schedule(settings, { at: '2026-11-29T09:00' })).rejects.toMatchObject({ message: expect.stringContaining('that time is in the past'), hint: expect.stringContaining('--now'), exitCode: EXIT.usage });
    await expect(schedule(settings, { at: 'next friday' })).rejects.toMatchObject({ message: expect.stringContaining('--at "next friday" is not an ISO 8601 date and time'), exitCode: EXIT.usage });
    expect(await entries(settings)).toEqual([]);
    expect(await schedule(settings, { at: '2026-11-29T09:00', allowPast: true })).toMatchObject({ sendAt: '2026-11-29T02:00:00.000Z', due: true });
  });

  it('without a time, schedules it now: due at the next dispatch', async () => {
    const { settings } = setup();
    expect(await schedule(settings, { allowPast: true })).toMatchObject({ sendAt: NOW.toISOString(), due: true });
  });

  it('in a zone with daylight saving time: the offset of that date, a skipped hour refused, a repeated hour flagged', async () => {
    const { settings } = setup('America/New_York');
    expect(await schedule(settings, { at: '2099-07-15T09:00' })).toMatchObject({ sendAt: '2099-07-15T13:00:00.000Z', timezone: 'America/New_York' });
    expect(await schedule(settings, { at: '2099-01-15T09:00' })).toMatchObject({ local: '2099-01-15 09:00 America/New_York (UTC-05:00) = 2099-01-15 14:00 UTC' });
    await expect(schedule(settings, { at: '2099-03-08T02:30' })).rejects.toMatchObject({ message: expect.stringContaining('does not exist in America/New_York'), exitCode: EXIT.usage });
    expect(await schedule(settings, { at: '2099-11-01T01:30' })).toMatchObject({ ambiguous: true, sendAt: '2099-11-01T05:30:00.000Z' });
  });

  it('builds the issue first: its warnings are reported with the file, and a broken issue is not scheduled', async () => {
    const { p, settings } = setup();
    p.write('issues/no-source.md', '---\ntitle: Tanpa sumber\ndate: 2026-11-28\n---\n\nIsi berita.\n');
    const warnings: { file: string; message: string }[] = [];
    await schedule(settings, { ref: 'issues/no-source.md', at: '2026-12-01T07:00' }, (w) => warnings.push(w));
    expect(warnings).toEqual([{ file: 'issues/no-source.md', message: expect.stringContaining('source') }]);

    p.write('issues/broken.md', '---\ntitle: Rusak\n---\n\nIsi.\n');
    await expect(schedule(settings, { ref: 'broken', at: '2026-12-01T07:00' })).rejects.toMatchObject({ message: expect.stringMatching(/^issues\/broken\.md:\d+: date: is required$/m) });
    expect((await entries(settings)).map((e) => e.slug)).toEqual(['no-source']);
  });

  it('says when it replaces the front matter\'s send_at', async () => {
    const { p, settings } = setup();
    const file = path.join(p.dir, 'issues', `${KLARNA}.md`);
    p.write(`issues/${KLARNA}.md`, readFileSync(file, 'utf8').replace(/^---\n/, '---\nsend_at: "2026-12-05T07:00"\n'));
    expect(await schedule(settings, { at: '2026-12-01T07:00' })).toMatchObject({ frontMatterSendAt: '2026-12-05T07:00', sendAt: '2026-12-01T00:00:00.000Z' });
  });

  it('refuses an issue that is being sent', async () => {
    const { settings } = setup();
    recordSend(settings.dbPath, KLARNA, `issues/${KLARNA}.md`);
    await expect(schedule(settings, { at: '2026-12-01T07:00' })).rejects.toMatchObject({ message: `cannot schedule ${KLARNA}: it is being sent now, or a send of it was interrupted`, exitCode: EXIT.error });
  });
});

describe('listScheduledIssues', () => {
  it('brings front matter send_at schedules up to date first, and says which it did not use', async () => {
    const { p, settings } = setup();
    const file = path.join(p.dir, 'issues', `${KLARNA}.md`);
    p.write(`issues/${KLARNA}.md`, readFileSync(file, 'utf8').replace(/^---\n/, '---\nsend_at: "2026-12-05T07:00"\n'));
    p.write('issues/old.md', '---\ntitle: Lama\ndate: 2026-10-01\nsend_at: "2026-10-01T07:00"\n---\n\nIsi.\n');
    p.write('issues/broken.md', '---\ntitle: Rusak\n---\n\nIsi.\n');
    const report = await listScheduledIssues(settings, { now });
    expect(report.entries).toMatchObject([{ slug: KLARNA, status: 'scheduled', sendAt: '2026-12-05T00:00:00.000Z', scheduledBy: 'front-matter' }]);
    expect(report.problems).toEqual([
      { file: 'issues/broken.md', message: expect.stringMatching(/^issues\/broken\.md:\d+: date: is required$/) },
      { file: 'issues/old.md', message: expect.stringContaining('is more than a day in the past; not scheduling it') },
    ]);
  });

  it('lists campaigns being sent with their delivery counts', async () => {
    const { settings } = setup();
    recordSend(settings.dbPath, 'klarna-ipo', 'issues/klarna-ipo.md');
    expect(await entries(settings)).toMatchObject([{ slug: 'klarna-ipo', status: 'sending', counts: { sent: 2, pending: 1, failed: 1, unknown: 1, deferred: 1, sending: 0, skipped: 0 } }]);
  });
});

describe('cancelScheduledIssue', () => {
  it('takes an issue off the schedule, named by slug or by file, and says when it was due', async () => {
    const { settings } = setup();
    await schedule(settings, { at: '2026-12-01T07:00' });
    expect(await cancelScheduledIssue(settings, { ref: KLARNA, cwd: settings.root }, { now })).toEqual({ slug: KLARNA, cancelled: true, sendAt: '2026-12-01T00:00:00.000Z' });
    expect(await entries(settings)).toMatchObject([{ slug: KLARNA, status: 'cancelled' }]);

    await schedule(settings, { at: '2026-12-02T07:00' });
    expect(await cancelScheduledIssue(settings, { ref: `issues/${KLARNA}.md`, cwd: settings.root }, { now })).toMatchObject({ slug: KLARNA, sendAt: '2026-12-02T00:00:00.000Z' });
  });

  it('an issue that is not scheduled, or is being sent, is an error', async () => {
    const { settings } = setup();
    await expect(cancelScheduledIssue(settings, { ref: KLARNA, cwd: settings.root }, { now })).rejects.toMatchObject({ message: `${KLARNA} is not scheduled, so there is nothing to cancel`, exitCode: EXIT.error });
    recordSend(settings.dbPath, 'klarna-ipo', 'issues/klarna-ipo.md');
    await expect(cancelScheduledIssue(settings, { ref: 'klarna-ipo', cwd: settings.root }, { now })).rejects.toMatchObject({ message: expect.stringContaining('cannot cancel klarna-ipo: it is being sent now') });
    await expect(cancelScheduledIssue(settings, { ref: 'no-such-issue', cwd: settings.root }, { now })).rejects.toMatchObject({ message: expect.stringMatching(/^issue "no-such-issue" not found/) });
  });
});
