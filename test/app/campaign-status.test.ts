import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { campaignStatusOf } from '../../src/app/campaign-status.js';
import type { Settings } from '../../src/config/load.js';
import { EXIT } from '../../src/core/errors.js';
import { withStore } from '../../src/store/db.js';
import { scheduleCampaign } from '../../src/store/schedule.js';
import { recordSend } from '../helpers/send-log.js';
import { settingsOf } from '../helpers/temp-project.js';

let dir: string;
let settings: Settings;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-app-status-'));
  mkdirSync(path.join(dir, 'issues'));
  writeFileSync(path.join(dir, 'issues', '2026-12-01-klarna.md'), '---\ntitle: Klarna\ndate: 2026-12-01\nslug: klarna\n---\n\nBody.\n');
  settings = settingsOf(dir);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const statusOf = (ref: string) => campaignStatusOf(settings, { ref, cwd: dir });

describe('campaignStatusOf', () => {
  it('counts the deliveries by state and lists the problem addresses with the last reply, by slug or by file', async () => {
    recordSend(settings.dbPath, 'klarna', 'issues/2026-12-01-klarna.md');
    const status = await statusOf('klarna');
    expect(status).toMatchObject({ slug: 'klarna', subject: 'Klarna IPO', campaignState: 'sending', total: 6, counts: { pending: 1, sending: 0, sent: 2, deferred: 1, failed: 1, unknown: 1, skipped: 0 } });
    expect(status.problems).toEqual([
      expect.objectContaining({ email: 'c@example.com', state: 'failed', lastCode: 550, lastReply: '550 5.1.1 mailbox unavailable', attempts: 1 }),
      expect.objectContaining({ email: 'd@example.com', state: 'unknown', lastCode: null }),
      expect.objectContaining({ email: 'e@example.com', state: 'deferred', lastCode: 451, attempts: 2 }),
    ]);
    expect(await statusOf('issues/2026-12-01-klarna.md')).toEqual(status);
    expect(await statusOf(path.join(dir, 'issues/2026-12-01-klarna.md'))).toEqual(status);
  });

  it('finds the campaign of a renamed issue file through its front matter slug', async () => {
    recordSend(settings.dbPath, 'klarna', 'issues/old-name.md');
    expect(await statusOf('issues/2026-12-01-klarna.md')).toMatchObject({ slug: 'klarna', counts: { sent: 2 } });
  });

  it('finds the campaign sent from a file by its path, even when the file\'s slug changed since', async () => {
    recordSend(settings.dbPath, 'klarna-old-slug', 'issues/2026-12-01-klarna.md');
    expect(await statusOf('issues/2026-12-01-klarna.md')).toMatchObject({ slug: 'klarna-old-slug', counts: { sent: 2 } });
  });

  it('asks about a file whose front matter is broken by its file name', async () => {
    writeFileSync(path.join(dir, 'issues', '2026-12-08-rusak.md'), '---\ntitle: Rusak\n---\n\nBody.\n');
    recordSend(settings.dbPath, '2026-12-08-rusak', 'issues/somewhere-else.md');
    expect(await statusOf('issues/2026-12-08-rusak.md')).toMatchObject({ slug: '2026-12-08-rusak', total: 6 });
  });

  it('is an error, exit 1, when the issue was never sent; it says how to send it, and when it is scheduled', async () => {
    await expect(statusOf('issues/2026-12-01-klarna.md')).rejects.toMatchObject({
      message: 'issue "klarna" has not been sent: no deliveries are recorded for it',
      hint: 'Send it with "fintechweekly send issues/2026-12-01-klarna.md"; "fintechweekly send issues/2026-12-01-klarna.md --dry-run" shows what would happen.',
      exitCode: EXIT.error,
    });
    await withStore(settings.dbPath, (db) =>
      scheduleCampaign(db, { slug: 'klarna', issuePath: 'issues/2026-12-01-klarna.md', subject: 'Klarna', sendAt: new Date('2099-12-01T00:00:00Z'), now: new Date() }),
    );
    await expect(statusOf('klarna')).rejects.toMatchObject({ message: 'issue "klarna" has not been sent: no deliveries are recorded for it (it is scheduled for 2099-12-01T00:00:00.000Z)' });
    await expect(statusOf('no-such-issue')).rejects.toMatchObject({ message: expect.stringContaining('no-such-issue'), exitCode: EXIT.error });
  });
});
