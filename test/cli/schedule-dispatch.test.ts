import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkTools } from '../check/tools.js';
import { projectDir, repo, runCli } from '../helpers/run-cli.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { address, ISSUE, sendProject, type SendProject } from './send-project.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(subscribers: number, config?: Record<string, unknown>): Promise<{ sink: SmtpSink; project: SendProject }> {
  const sink = await startSmtpSink();
  cleanups.push(() => sink.close());
  const project = sendProject({ subscribers, smtpUrl: sink.url, config });
  cleanups.push(() => project.remove());
  return { sink, project };
}

function countsByAddress(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.envelope.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

const campaigns = (project: SendProject) => project.sql<{ slug: string; status: string; send_at: string | null }>('SELECT slug, status, send_at FROM campaigns');
/** Tests whose dispatch runs the preflight check (SpamAssassin and Chromium) may take long on a busy machine. */
const PREFLIGHT_TIMEOUT_MS = 180_000;
const TIMESTAMPED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z /;

describe('schedule + dispatch (CLI processes, real SMTP on loopback)', () => {
  it('a schedule in the past with --now is sent by one dispatch, and a second dispatch sends nothing', async () => {
    const { sink, project } = await setup(12);
    const scheduled = await project.run(['schedule', ISSUE, '--at', '2020-01-01T09:00', '--now']);
    expect(scheduled.code).toBe(0);
    expect(scheduled.stdout).toContain(`scheduled ${ISSUE}`);
    expect(scheduled.stdout).toContain('2020-01-01 09:00 Asia/Jakarta (UTC+07:00) = 2020-01-01 02:00 UTC');
    expect(sink.messages).toHaveLength(0);

    const first = await project.run(['dispatch']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const counts = countsByAddress(sink);
    expect(sink.messages).toHaveLength(12);
    for (let i = 1; i <= 12; i++) expect(counts.get(address(i))).toBe(1);
    // A log file's lines: every one timestamped, no colour codes, a summary at the end.
    const lines = first.stdout.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(TIMESTAMPED);
    expect(first.stdout).not.toContain('\u001b[');
    expect(lines.at(-1)).toMatch(/dispatch: 1 campaign: sent 12, failed 0, deferred 0, unknown 0, skipped 0; 0 errors$/);
    expect(campaigns(project)).toMatchObject([{ slug: ISSUE, status: 'done' }]);

    const second = await project.run(['dispatch']);
    expect(second.code).toBe(0);
    expect(second.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(second.stdout).toMatch(/dispatch: nothing due/);
    expect(sink.messages).toHaveLength(12);

    // Done is done: it cannot be scheduled again.
    const again = await project.run(['schedule', ISSUE, '--now']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('it was already sent');
  }, PREFLIGHT_TIMEOUT_MS);

  const tools = checkTools();
  it.skipIf(tools.skip)(`runs the same preflight check as send before a scheduled issue goes out: a failing issue is not sent${tools.label}`, async () => {
    const { sink, project } = await setup(3);
    const spammy = '2026-12-01-spammy';
    cpSync(path.join(repo, 'test/fixtures/check', `${spammy}.md`), path.join(project.dir, 'issues', `${spammy}.md`));
    expect((await project.run(['schedule', spammy, '--now'])).code).toBe(0);
    const result = await project.run(['dispatch']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^\\S+ ${spammy}: error: not sending ${spammy}: the check failed; nothing was sent / +Spam score: `, 'm'));
    expect(sink.messages).toHaveLength(0);
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
    // Still scheduled: the next dispatch tries again, once the editor has fixed it.
    expect(campaigns(project)).toMatchObject([{ slug: spammy, status: 'scheduled' }]);
  }, PREFLIGHT_TIMEOUT_MS);

  it('two dispatch processes started together send each message once', async () => {
    const { sink, project } = await setup(40);
    expect((await project.run(['schedule', ISSUE, '--now'])).code).toBe(0);
    const [a, b] = await Promise.all([project.run(['dispatch', '--json']), project.run(['dispatch', '--json'])]);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(sink.messages).toHaveLength(40);
    const counts = countsByAddress(sink);
    for (let i = 1; i <= 40; i++) expect(counts.get(address(i))).toBe(1);
    const results = [a, b].map((r) => JSON.parse(r.stdout) as { ran: boolean; campaigns?: { slug: string; summary?: { sent: number } }[] });
    const sent = results.flatMap((r) => r.campaigns ?? []).reduce((n, c) => n + (c.summary?.sent ?? 0), 0);
    expect(sent).toBe(40);
    // The one that did not send either saw the other running or found nothing left to do.
    const idle = [a, b].find((r) => !/"sent": 40/.test(r.stdout));
    expect(idle?.stderr).toMatch(/another dispatch is running|nothing due/);
    expect(project.sql('SELECT * FROM locks')).toEqual([]);
  }, PREFLIGHT_TIMEOUT_MS);

  it('a running dispatch (a live lock holder) makes the next one exit 0 with one line; a send of the issue by hand is left to it', async () => {
    const { sink, project } = await setup(3);
    await project.run(['schedule', ISSUE, '--now']);
    const lock = (name: string, pid: number) => {
      project.sql('DELETE FROM locks WHERE name = ? RETURNING name', name);
      project.sql('INSERT INTO locks (name, pid, host, acquired_at) VALUES (?, ?, ?, ?) RETURNING name', name, pid, hostname(), '2026-11-30T00:00:00.000Z');
    };
    lock('dispatch', process.pid); // this test process: alive
    const busy = await project.run(['dispatch']);
    expect(busy.code).toBe(0);
    expect(busy.stdout).toMatch(new RegExp(`^\\S+ dispatch: another dispatch is running \\(process ${process.pid} on ${hostname()}, since 2026-11-30T00:00:00.000Z\\); nothing to do\n$`));
    expect(sink.messages).toHaveLength(0);

    // A `send` of the issue running by hand: dispatch leaves it alone.
    project.sql('DELETE FROM locks RETURNING name');
    lock(`campaign:${ISSUE}`, process.pid);
    const sending = await project.run(['dispatch']);
    expect(sending.code).toBe(0);
    expect(sending.stdout).toContain(`${ISSUE}: being sent by another process (${process.pid} on ${hostname()}, since 2026-11-30T00:00:00.000Z); left to it`);
    expect(sink.messages).toHaveLength(0);
  });

  it('--at without an offset is wall time in the configured zone, with one it is that instant; rescheduling moves the one campaign', async () => {
    const { project } = await setup(1);
    const jakarta = await project.run(['schedule', ISSUE, '--at', '2099-12-01T07:00', '--json']);
    expect(jakarta.code).toBe(0);
    expect(JSON.parse(jakarta.stdout)).toMatchObject({ slug: ISSUE, sendAt: '2099-12-01T00:00:00.000Z', timezone: 'Asia/Jakarta', previousSendAt: null });

    const offset = await project.run(['schedule', ISSUE, '--at', '2099-12-01T07:00-05:00', '--json']);
    expect(JSON.parse(offset.stdout)).toMatchObject({ sendAt: '2099-12-01T12:00:00.000Z', previousSendAt: '2099-12-01T00:00:00.000Z' });
    expect(campaigns(project)).toEqual([{ slug: ISSUE, status: 'scheduled', send_at: '2099-12-01T12:00:00.000Z' }]);

    const list = await project.run(['schedule', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ slug: ISSUE, status: 'scheduled', sendAt: '2099-12-01T12:00:00.000Z', counts: { sent: 0 } }]);
    const text = await project.run(['schedule', 'list']);
    expect(text.stdout).toContain('2099-12-01 19:00 Asia/Jakarta (UTC+07:00) = 2099-12-01 12:00 UTC');

    const cancel = await project.run(['schedule', 'cancel', ISSUE]);
    expect(cancel.code).toBe(0);
    expect(campaigns(project)).toMatchObject([{ status: 'cancelled' }]);
  });

  it('reads --at in a DST zone with the offset of that date (America/New_York)', async () => {
    const { project } = await setup(1, { timezone: 'America/New_York' });
    const summer = await project.run(['schedule', ISSUE, '--at', '2099-07-15T09:00', '--json']);
    expect(JSON.parse(summer.stdout)).toMatchObject({ sendAt: '2099-07-15T13:00:00.000Z' });
    const winter = await project.run(['schedule', ISSUE, '--at', '2099-01-15T09:00']);
    expect(winter.stdout).toContain('2099-01-15 09:00 America/New_York (UTC-05:00) = 2099-01-15 14:00 UTC');
    const gap = await project.run(['schedule', ISSUE, '--at', '2099-03-08T02:30']);
    expect(gap.code).toBe(2);
    expect(gap.stderr).toContain('does not exist in America/New_York');
  });

  it('refuses a time in the past without --now and a malformed time, storing nothing', async () => {
    const { sink, project } = await setup(2);
    const past = await project.run(['schedule', ISSUE, '--at', '2020-01-01T09:00']);
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('that time is in the past');
    expect(past.stderr).toContain('--now');
    const bad = await project.run(['schedule', ISSUE, '--at', 'next friday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--at "next friday" is not an ISO 8601 date and time');
    const when = await project.run(['schedule', ISSUE]);
    expect(when.code).toBe(2);
    expect(when.stderr).toContain('say when: --at WHEN (ISO 8601) or --now');
    expect(campaigns(project)).toEqual([]);
    expect((await project.run(['dispatch'])).code).toBe(0);
    expect(sink.messages).toHaveLength(0);
  });

  it('dispatch with nothing due exits 0 with one quiet line; a future schedule is not sent early', async () => {
    const { sink, project } = await setup(2);
    const empty = await project.run(['dispatch']);
    expect(empty.code).toBe(0);
    expect(empty.stderr).toBe('');
    expect(empty.stdout).toMatch(/^\S+ dispatch: nothing due\n$/);

    await project.run(['schedule', ISSUE, '--at', '2099-12-01T07:00']);
    const early = await project.run(['dispatch']);
    expect(early.code).toBe(0);
    expect(early.stdout).toMatch(/nothing due \(next: 2026-11-27-klarna-phk-ai-resesi at 2099-12-01 07:00 Asia\/Jakarta/);
    expect(sink.messages).toHaveLength(0);
  });

  it('says in its log when a front matter send_at scheduled an issue', async () => {
    const { sink, project } = await setup(3);
    const file = path.join(project.dir, 'issues', `${ISSUE}.md`);
    const { readFileSync } = await import('node:fs');
    const sendAt = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^---\n/, `---\nsend_at: "${sendAt}"\n`));
    const run = await project.run(['dispatch']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${ISSUE}: scheduled by send_at in issues/${ISSUE}.md`);
    expect(sink.messages).toHaveLength(3);
  }, PREFLIGHT_TIMEOUT_MS);

  it('exits 75 when deliveries stay deferred, and says so in the campaign\'s line; says when a later dispatch retries them', async () => {
    let refuse = true;
    const sink = await startSmtpSink({ rcptReply: (to) => (refuse && to === address(2) ? 451 : undefined) });
    cleanups.push(() => sink.close());
    // The project's config: 3 attempts per run, no wait between them.
    const project = sendProject({ subscribers: 3, smtpUrl: sink.url });
    cleanups.push(() => project.remove());
    await project.run(['schedule', ISSUE, '--now']);
    const first = await project.run(['dispatch']);
    expect(first.code).toBe(75);
    expect(first.stdout).toContain(`${ISSUE}: sent 2, failed 0, deferred 1, unknown 0, skipped 0 in `);
    expect(first.stdout).toContain('; 1 with deferred or unknown deliveries left');
    expect(sink.messages).toHaveLength(2);

    project.sql(`UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE state = 'deferred' RETURNING id`);
    refuse = false;
    const second = await project.run(['dispatch']);
    expect(second.stdout).toContain(`${ISSUE}: retrying deferred deliveries`);
    expect(second.code).toBe(0);
    expect(sink.messages).toHaveLength(3);
  }, PREFLIGHT_TIMEOUT_MS);

  it('says it resumes a send that stopped half way, and exits 75 when it leaves unknown deliveries', async () => {
    const { sink, project } = await setup(5);
    const partial = await project.run(['send', ISSUE, '--yes', '--limit', '2']);
    expect(partial.code).toBe(0);
    // A row a killed process left in `sending`: it may have been delivered, so it becomes unknown.
    project.sql(`UPDATE deliveries SET state = 'sending' WHERE email = ? RETURNING id`, address(3));
    const run = await project.run(['dispatch']);
    expect(run.stdout).toContain(`${ISSUE}: resuming an unfinished send`);
    expect(run.stderr).toContain(`${ISSUE}: 1 delivery was interrupted by an earlier run and may have been delivered: marked unknown`);
    expect(run.code).toBe(75);
    expect(sink.messages).toHaveLength(4);
  }, PREFLIGHT_TIMEOUT_MS);

  it('dispatch with nothing due (cron, every few minutes) never loads MJML, the send engine or the bounce scanner', () => {
    const dir = projectDir('fw-e2e-dispatch-');
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(path.join(repo, 'issues'), path.join(dir, 'issues'), { recursive: true });
    cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
    const result = runCli(dir, ['dispatch'], { recordModules: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/dispatch: nothing due\n$/);
    expect(result.modules.some((url) => url.includes('/node_modules/better-sqlite3/'))).toBe(true);
    expect(result.modules.filter((url) => /\/node_modules\/mjml[^/]*\//.test(url))).toEqual([]);
    // Loaded only when something is due, or when the config names a bounce source.
    expect(result.modules.filter((url) => /\/node_modules\/(nodemailer|imapflow|libmime)\/|\/src\/(delivery\/(send-run|transport)|bounces\/)/.test(url))).toEqual([]);
  });
});
