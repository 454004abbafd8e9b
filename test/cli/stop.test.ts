import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createUnsubscribeToken } from '../../src/core/message/token.js';
import { countsByAddress } from '../helpers/sent-messages.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../helpers/smtp-sink.js';
import { address, ISSUE, SECRET, sendProject, type SendProject } from './send-project.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM, sent to real processes as an editor, cron, systemd or a deploy would:
 * the send stops cleanly, says where it stands, and a rerun delivers the rest exactly once.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(subscribers: number, sinkOptions: SmtpSinkOptions = {}): Promise<{ sink: SmtpSink; project: SendProject }> {
  const sink = await startSmtpSink({ parse: false, ...sinkOptions });
  cleanups.push(() => sink.close());
  const project = sendProject({ subscribers, smtpUrl: sink.url });
  cleanups.push(() => project.remove());
  return { sink, project };
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output; `when(text)` resolves once stdout contains the text. */
function watch(child: ChildProcess): { done: Promise<Finished>; when: (text: string) => Promise<void>; stdout: () => string } {
  let stdout = '';
  let stderr = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
    for (const w of waiting.filter((w) => stdout.includes(w.text))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve();
    }
  });
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { done, when: (text) => (stdout.includes(text) ? Promise.resolve() : new Promise((resolve) => waiting.push({ text, resolve }))), stdout: () => stdout };
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

function expectEveryReaderOnce(sink: SmtpSink, readers: number): void {
  const counts = countsByAddress(sink);
  const wrong = Array.from({ length: readers }, (_, i) => address(i + 1)).filter((to) => counts.get(to) !== 1);
  expect(wrong).toEqual([]);
  expect(sink.messages).toHaveLength(readers);
}

async function statusCounts(project: SendProject): Promise<Record<string, number>> {
  const status = await project.run(['status', ISSUE, '--json']);
  expect(status.code).toBe(0);
  return JSON.parse(status.stdout) as Record<string, number>;
}

describe('send stopped by a signal (real processes, real SMTP server on loopback)', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s in the middle of a 5,000-reader send: one summary, exit 75, nobody left sending or unknown, a rerun delivers to everyone exactly once', async (signal) => {
    const readers = 5000;
    const hooks: { stop?: () => void } = {};
    const { sink, project } = await setup(readers, {
      dataReply: (n) => {
        if (n === 500) hooks.stop?.();
        return undefined;
      },
    });
    const child = project.spawn(['send', ISSUE, '--yes', '--force']);
    hooks.stop = () => child.kill(signal);
    const stopped = await watch(child).done;
    expect(stopped.stderr).toBe('');
    expect(stopped.code).toBe(75);
    expect(occurrences(stopped.stdout, `${ISSUE}: sent `)).toBe(1);
    expect(occurrences(stopped.stdout, 'send log so far:')).toBe(1);
    expect(stopped.stdout).toContain(`stopping (${signal}): no new messages`);
    expect(stopped.stdout).toMatch(new RegExp(`stopped by ${signal} with \\d+ not yet sent: run the same command again to continue; nobody receives the issue twice\\.`));
    const sentBefore = sink.messages.length;
    expect(sentBefore).toBeGreaterThanOrEqual(500);
    expect(sentBefore).toBeLessThan(readers);

    const counts = await statusCounts(project);
    expect(counts).toMatchObject({ sending: 0, unknown: 0, sent: sentBefore, pending: readers - sentBefore });

    const rerun = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(rerun.code).toBe(0);
    expectEveryReaderOnce(sink, readers);
  }, 300_000);

  it('a second SIGINT during the wait stops at once, still with no duplicate', async () => {
    const readers = 300;
    const hooks: { stop?: () => void } = {};
    const { sink, project } = await setup(readers, {
      // The 100th message is never answered: the stop has to wait for it.
      dataReply: (n) => {
        if (n !== 100) return undefined;
        hooks.stop?.();
        return 'hang';
      },
    });
    const child = project.spawn(['send', ISSUE, '--yes', '--force']);
    const output = watch(child);
    hooks.stop = () => child.kill('SIGINT');
    await output.when('stopping (SIGINT): no new messages; waiting up to');
    child.kill('SIGINT');
    const stopped = await output.done;
    expect(stopped.stdout).toContain('stopping at once (SIGINT again)');
    expect(stopped.code).toBe(75);
    expect(occurrences(stopped.stdout, `${ISSUE}: sent `)).toBe(1);
    const hung = sink.dropped[0]?.envelope.to[0] as string;
    expect(project.deliveries().get(hung)).toMatchObject({ state: 'unknown' });
    // The hung message is unknown, and so is any other still waiting for its reply at the second
    // SIGINT (how many depends on timing); nothing is left `sending`.
    const unknown = new Set([...project.deliveries()].filter(([, d]) => d.state === 'unknown').map(([to]) => to));
    expect(unknown.has(hung)).toBe(true);
    expect(await statusCounts(project)).toMatchObject({ sending: 0, unknown: unknown.size });
    const before = countsByAddress(sink);

    // A message the server may have accepted is not resent; everyone else gets the issue once.
    const rerun = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(rerun.code).toBe(75);
    const counts = countsByAddress(sink);
    for (let i = 1; i <= readers; i++) {
      const to = address(i);
      expect(counts.get(to) ?? 0, to).toBe(unknown.has(to) ? (before.get(to) ?? 0) : 1);
    }
    expect(counts.get(hung) ?? 0).toBe(0);
  }, 300_000);

  it('SIGTERM during dispatch: the campaign stops cleanly, dispatch exits 75, and the next dispatch finishes it exactly once', async () => {
    const readers = 1000;
    const hooks: { stop?: () => void } = {};
    const { sink, project } = await setup(readers, {
      dataReply: (n) => {
        if (n === 200) hooks.stop?.();
        return undefined;
      },
    });
    // A send that was interrupted before it took its list: dispatch resumes it (no preflight check).
    const at = new Date().toISOString();
    project.sql(`INSERT INTO campaigns (slug, issue_path, subject, status, created_at, updated_at, started_at) VALUES (?, ?, 'Klarna', 'sending', ?, ?, ?) RETURNING id`, ISSUE, `issues/${ISSUE}.md`, at, at, at);
    const child = project.spawn(['dispatch']);
    hooks.stop = () => child.kill('SIGTERM');
    const stopped = await watch(child).done;
    expect(stopped.code).toBe(75);
    expect(stopped.stdout).toContain(`${ISSUE}: stopping (SIGTERM): no new messages`);
    expect(occurrences(stopped.stdout, 'dispatch: 1 campaign: ')).toBe(1);
    expect(stopped.stdout).toMatch(/dispatch: stopped by SIGTERM with \d+ not yet sent: run `fintechweekly dispatch` again to continue/);
    expect(await statusCounts(project)).toMatchObject({ sending: 0, unknown: 0 });

    const next = await project.run(['dispatch']);
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(`${ISSUE}: resuming an unfinished send`);
    expectEveryReaderOnce(sink, readers);
  }, 300_000);
});

describe('serve stopped by a signal', () => {
  it('SIGTERM lets an unsubscribe in progress finish, then exits 0', async () => {
    const { project } = await setup(2);
    const [reader] = project.sql<{ id: number; email: string }>('SELECT id, email FROM subscribers WHERE email = ?', address(2));
    const token = createUnsubscribeToken(SECRET, reader!.id, reader!.email);
    const child = project.spawn(['serve', '--port', '0']);
    cleanups.push(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const output = watch(child);
    await output.when('serving on http://127.0.0.1:');
    const port = Number(/serving on http:\/\/127\.0\.0\.1:(\d+)\//.exec(output.stdout())?.[1]);

    // A one-click unsubscribe under way: the server has taken the request (it answered
    // "100 Continue") and waits for its body.
    const socket = connect(port, '127.0.0.1');
    let response = '';
    const continued = new Promise<void>((resolve) =>
      socket.on('data', (c: Buffer) => {
        response += c.toString();
        if (response.includes('100 Continue')) resolve();
      }),
    );
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const body = 'List-Unsubscribe=One-Click';
    socket.write(`POST /u/${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n`);
    await continued;
    child.kill('SIGTERM');
    await output.when('stopping: answering the requests in progress');
    socket.write(body);
    await closed;
    expect(response).toMatch(/HTTP\/1\.1 200 OK/);
    expect(response).toContain('Anda telah berhenti berlangganan');
    const stopped = await output.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stderr).toBe('');
    expect(project.sql<{ status: string }>('SELECT status FROM subscribers WHERE email = ?', address(2))).toEqual([{ status: 'unsubscribed' }]);
  }, 120_000);
});
