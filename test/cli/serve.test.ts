import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ONE_CLICK, raw } from '../helpers/raw-request.js';
import { startServe as startProcess, type ServeProcess } from '../helpers/serve-process.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { address, ISSUE, sendProject, type SendProject } from './send-project.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(subscribers: number): Promise<{ sink: SmtpSink; project: SendProject }> {
  const sink = await startSmtpSink();
  cleanups.push(() => sink.close());
  const project = sendProject({ subscribers, smtpUrl: sink.url });
  cleanups.push(() => project.remove());
  return { sink, project };
}

/** Starts `serve --port 0` and waits for the line that says where it listens. */
async function startServe(project: SendProject, env?: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const serve = await startProcess(() => project.spawn(['serve', '--port', '0'], env));
  cleanups.push(() => void serve.stop());
  return serve;
}

const statusOf = (project: SendProject, email: string) => project.sql<{ status: string }>('SELECT status FROM subscribers WHERE email = ?', email)[0]?.status;

function tokenFromMessage(sink: SmtpSink, to: string): string {
  const message = sink.received(to)[0]?.raw.toString('utf8') ?? '';
  // As a mail client reads it: the https URL in the List-Unsubscribe header.
  const token = /^List-Unsubscribe:\s*<https:\/\/news\.fintechweekly\.example\/u\/([^>]+)>/im.exec(message)?.[1];
  if (!token) throw new Error(`no unsubscribe token in the message to ${to}`);
  return token;
}

// The server's answers to forged tokens, bad requests and the archive are tested in process
// (test/app/start-server.test.ts); here, a real message's link against the real command.
describe('serve (CLI process): one-click unsubscribe and the web archive', () => {
  it('a token from a received message: GET only asks, POST unsubscribes, a following send skips the address', async () => {
    const { sink, project } = await setup(3);
    // --force: the preflight check (SpamAssassin, Chromium) is not what this test is about.
    expect((await project.run(['send', ISSUE, '--yes', '--force'])).code).toBe(0);
    const victim = address(2);
    const token = tokenFromMessage(sink, victim);
    const { base, child, log } = await startServe(project);

    const page = await raw(base, 'GET', `/u/${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<form method="post">');
    expect(page.body).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(page.body).toContain('Berhenti berlangganan');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(statusOf(project, victim)).toBe('active');
    expect((await raw(base, 'HEAD', `/u/${token}`)).status).toBe(200);
    expect(statusOf(project, victim)).toBe('active');

    const done = await raw(base, 'POST', `/u/${token}`, 'List-Unsubscribe=One-Click', ONE_CLICK);
    expect(done.status).toBe(200);
    expect(done.headers.location).toBeUndefined();
    expect(done.headers['set-cookie']).toBeUndefined();
    expect(done.body).toContain('Anda telah berhenti berlangganan');
    expect(statusOf(project, victim)).toBe('unsubscribed');
    expect(statusOf(project, address(1))).toBe('active');
    // Idempotent: a second click (or the mail client retrying) is fine.
    expect((await raw(base, 'POST', `/u/${token}`, 'List-Unsubscribe=One-Click', ONE_CLICK)).status).toBe(200);
    // The multipart form some clients send is the same request.
    const boundary = 'xYzZY';
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    expect((await raw(base, 'POST', `/u/${token}`, multipart, { 'Content-Type': `multipart/form-data; boundary=${boundary}` })).status).toBe(200);
    // The log names the subscriber by id, never the token.
    expect(log()).toContain('unsubscribed subscriber #');
    expect(log()).toMatch(/^\S+ POST \/u\/\[token\] 200$/m);
    expect(log()).not.toContain(token);
    // SIGTERM (or Ctrl-C) stops it cleanly.
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    expect(log()).toMatch(/^\S+ stopping: answering the requests in progress$/m);

    // A following send (a new issue) skips the unsubscribed address.
    const second = path.join(project.dir, 'issues', '2026-12-04-edisi-kedua.md');
    writeFileSync(second, readFileSync(path.join(project.dir, 'issues', `${ISSUE}.md`), 'utf8').replace(/^title: .*$/m, 'title: "Edisi kedua"').replace(/^subject: .*$/m, 'subject: Edisi kedua'));
    const before = sink.messages.length;
    expect((await project.run(['send', '2026-12-04-edisi-kedua', '--yes', '--force'])).code).toBe(0);
    const secondMessages = sink.messages.slice(before);
    expect(secondMessages.map((m) => m.envelope.to[0]).sort()).toEqual([address(1), address(3)]);
  });

  it('refuses to start without FINTECHWEEKLY_UNSUBSCRIBE_SECRET', async () => {
    const { project } = await setup(0);
    const result = await project.run(['serve', '--port', '0'], { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set');
  });
});
