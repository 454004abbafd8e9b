import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { projectDir, runCli } from '../helpers/run-cli.js';
import { recordSend as recordSendIn } from '../helpers/send-log.js';

// Which campaign an ISSUE names, and its counts, are tested in process (test/app/campaign-status.test.ts).

let dir: string;
beforeEach(() => {
  dir = projectDir('fw-e2e-status-');
  mkdirSync(path.join(dir, 'issues'));
  writeFileSync(path.join(dir, 'issues', '2026-12-01-klarna.md'), '---\ntitle: Klarna\ndate: 2026-12-01\nslug: klarna\n---\n\nBody.\n');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const recordSend = (slug: string, issuePath: string) => recordSendIn(path.join(dir, 'store', 'fintechweekly.db'), slug, issuePath);

describe('fintechweekly status', () => {
  it('prints counts per state and the problem addresses with the last reply, by slug or by file', () => {
    recordSend('klarna', 'issues/2026-12-01-klarna.md');
    const json = runCli(dir, ['status', 'klarna', '--json']);
    expect(json.code).toBe(0);
    const status = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ slug: 'klarna', subject: 'Klarna IPO', pending: 1, sending: 0, sent: 2, deferred: 1, failed: 1, unknown: 1, skipped: 0, total: 6 });
    expect(status.problems).toEqual([
      expect.objectContaining({ email: 'c@example.com', state: 'failed', lastCode: 550, lastReply: '550 5.1.1 mailbox unavailable', attempts: 1 }),
      expect.objectContaining({ email: 'd@example.com', state: 'unknown', lastCode: null }),
      expect.objectContaining({ email: 'e@example.com', state: 'deferred', lastCode: 451, attempts: 2 }),
    ]);

    const text = runCli(dir, ['status', 'issues/2026-12-01-klarna.md']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('sent 2, pending 1, sending 0, deferred 1, failed 1, unknown 1, skipped 0; 6 in all');
    expect(text.stdout).toMatch(/c@example\.com {2}550 5\.1\.1 mailbox unavailable/);
    expect(text.stdout).toContain('e@example.com  451 4.7.1 greylisted  (2 attempts)');
  });

  it('says so, with exit 1, when the issue was never sent', () => {
    const result = runCli(dir, ['status', 'issues/2026-12-01-klarna.md']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: issue "klarna" has not been sent: no deliveries are recorded for it');
    expect(result.stderr).toContain('hint: Send it with "fintechweekly send issues/2026-12-01-klarna.md"');
  });

  it('never imports mjml', () => {
    recordSend('klarna', 'issues/2026-12-01-klarna.md');
    const result = runCli(dir, ['status', 'issues/2026-12-01-klarna.md'], { recordModules: true });
    expect(result.code).toBe(0);
    expect(result.modules.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true);
    expect(result.modules.filter((url) => /\/node_modules\/mjml[^/]*\//.test(url))).toEqual([]);
  });
});
