import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { projectDir, runCli } from '../helpers/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = projectDir('fw-e2e-status-');
  mkdirSync(path.join(dir, 'issues'));
  writeFileSync(path.join(dir, 'issues', '2026-12-01-klarna.md'), '---\ntitle: Klarna\ndate: 2026-12-01\nslug: klarna\n---\n\nBody.\n');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A send log as the send engine leaves it, written straight into the project's store. */
function recordSend(slug: string, issuePath: string): void {
  const db = openDb(path.join(dir, 'store', 'fintechweekly.db'));
  const at = '2026-12-01T01:00:00.000Z';
  const { lastInsertRowid } = db
    .prepare("INSERT INTO campaigns (slug, issue_path, subject, status, created_at, updated_at, started_at) VALUES (?, ?, 'Klarna IPO', 'sending', ?, ?, ?)")
    .run(slug, issuePath, at, at, at);
  const insert = db.prepare('INSERT INTO deliveries (campaign_id, email, state, attempts, message_id, last_code, last_reply, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const rows: [string, string, number, number | null, string | null][] = [
    ['a@example.com', 'sent', 1, 250, '250 2.0.0 OK'],
    ['b@example.com', 'sent', 1, 250, '250 2.0.0 OK'],
    ['c@example.com', 'failed', 1, 550, '550 5.1.1 mailbox unavailable'],
    ['d@example.com', 'unknown', 1, null, null],
    ['e@example.com', 'deferred', 2, 451, '451 4.7.1 greylisted'],
    ['f@example.com', 'pending', 0, null, null],
  ];
  for (const [email, state, attempts, code, reply] of rows) insert.run(lastInsertRowid, email, state, attempts, `<${email}>`, code, reply, at, at);
  db.close();
}

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

  it('finds the campaign of a renamed issue file through its front matter slug', () => {
    recordSend('klarna', 'issues/old-name.md');
    expect(JSON.parse(runCli(dir, ['status', 'issues/2026-12-01-klarna.md', '--json']).stdout)).toMatchObject({ slug: 'klarna', sent: 2 });
  });

  it('says so, with exit 1, when the issue was never sent', () => {
    const result = runCli(dir, ['status', 'issues/2026-12-01-klarna.md']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: issue "klarna" has not been sent: no deliveries are recorded for it');
    const unknown = runCli(dir, ['status', 'no-such-issue']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no-such-issue');
  });

  it('never imports mjml', () => {
    recordSend('klarna', 'issues/2026-12-01-klarna.md');
    const result = runCli(dir, ['status', 'issues/2026-12-01-klarna.md'], { recordModules: true });
    expect(result.code).toBe(0);
    expect(result.modules.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true);
    expect(result.modules.filter((url) => /\/node_modules\/mjml[^/]*\//.test(url))).toEqual([]);
  });
});
