import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { raw, startServe as startProcess, type ServeProcess } from '../helpers/serve-process.js';
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

const ONE_CLICK = { 'Content-Type': 'application/x-www-form-urlencoded' };
const statusOf = (project: SendProject, email: string) => project.sql<{ status: string }>('SELECT status FROM subscribers WHERE email = ?', email)[0]?.status;

function tokenFromMessage(sink: SmtpSink, to: string): string {
  const raw = sink.received(to)[0]?.raw.toString('utf8') ?? '';
  // As a mail client reads it: the https URL in the List-Unsubscribe header.
  const token = /^List-Unsubscribe:\s*<https:\/\/news\.fintechweekly\.example\/u\/([^>]+)>/im.exec(raw)?.[1];
  if (!token) throw new Error(`no unsubscribe token in the message to ${to}`);
  return token;
}

describe('serve (CLI process): one-click unsubscribe and the web archive', () => {
  it('a token from a received message: GET only asks, POST unsubscribes, a following send skips the address', async () => {
    const { sink, project } = await setup(3);
    expect((await project.run(['send', ISSUE, '--yes'])).code).toBe(0);
    const victim = address(2);
    const token = tokenFromMessage(sink, victim);
    const { base, log } = await startServe(project);

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
    expect(log()).not.toContain(token);

    // A following send (a new issue) skips the unsubscribed address.
    const second = path.join(project.dir, 'issues', '2026-12-04-edisi-kedua.md');
    writeFileSync(second, readFileSync(path.join(project.dir, 'issues', `${ISSUE}.md`), 'utf8').replace(/^title: .*$/m, 'title: "Edisi kedua"').replace(/^subject: .*$/m, 'subject: Edisi kedua'));
    const before = sink.messages.length;
    expect((await project.run(['send', '2026-12-04-edisi-kedua', '--yes'])).code).toBe(0);
    const secondMessages = sink.messages.slice(before);
    expect(secondMessages.map((m) => m.envelope.to[0]).sort()).toEqual([address(1), address(3)]);
  });

  it('a forged or unknown token gets the same 400 and unsubscribes nobody; a POST without the one-click body is refused', async () => {
    const { sink, project } = await setup(2);
    expect((await project.run(['send', ISSUE, '--yes'])).code).toBe(0);
    const token = tokenFromMessage(sink, address(1));
    const { base } = await startServe(project);
    const [id, mac] = token.split('.') as [string, string];
    const flipped = `${id}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
    const otherId = `${Number(id) + 1}.${mac}`;
    const unknownId = `99999.${mac}`;
    const responses = [];
    for (const forged of [flipped, otherId, unknownId, 'garbage', '']) {
      for (const method of ['GET', 'POST']) {
        const res = await raw(base, method, `/u/${forged}`, method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined, ONE_CLICK);
        expect(res.status, `${method} /u/${forged}`).toBe(400);
        responses.push(res.body);
      }
    }
    // Nothing in the answer tells a known id from an unknown one.
    expect(new Set(responses).size).toBe(1);
    expect(responses[0]).not.toContain('example.com');
    expect(project.sql<{ status: string }>('SELECT status FROM subscribers').map((r) => r.status)).toEqual(['active', 'active']);

    const noBody = await raw(base, 'POST', `/u/${token}`, 'unsubscribe=yes', ONE_CLICK);
    expect(noBody.status).toBe(400);
    expect(statusOf(project, address(1))).toBe('active');
  });

  it('survives bad requests: 413 for a large body, 405 for wrong methods, traversal refused, and keeps serving', async () => {
    const { sink, project } = await setup(1);
    expect((await project.run(['send', ISSUE, '--yes'])).code).toBe(0);
    expect((await project.run(['build'])).code).toBe(0);
    const token = tokenFromMessage(sink, address(1));
    const { base } = await startServe(project);

    const big = `List-Unsubscribe=One-Click&${'x'.repeat(200_000)}`;
    expect((await raw(base, 'POST', `/u/${token}`, big, ONE_CLICK)).status).toBe(413);
    expect(statusOf(project, address(1))).toBe('active');
    // Chunked, no Content-Length: counted as it arrives.
    const chunked = await raw(base, 'POST', `/u/${token}`, undefined, { ...ONE_CLICK, 'Transfer-Encoding': 'chunked' }).catch(() => undefined);
    expect(chunked?.status).toBe(400);

    for (const [method, target] of [['PUT', `/u/${token}`], ['DELETE', `/u/${token}`], ['POST', '/'], ['PATCH', `/${ISSUE}/`]] as const) {
      const res = await raw(base, method, target, '');
      expect(res.status, `${method} ${target}`).toBe(405);
      expect(res.headers.allow).toBeTruthy();
    }
    expect(statusOf(project, address(1))).toBe('active');

    for (const target of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', `/${ISSUE}/..%2f..%2ffintechweekly.config.yaml`, '/%2e%2e%5c%2e%2e%5cetc%5cpasswd', '/..', '/%00']) {
      const res = await raw(base, 'GET', target);
      expect(res.status, target).toBeGreaterThanOrEqual(400);
      expect(res.status, target).toBeLessThan(500);
      expect(res.body).not.toContain('root:');
      expect(res.body).not.toContain('smtp');
    }
    expect((await raw(base, 'GET', '/fintechweekly.db')).status).toBe(404);
    expect((await raw(base, 'GET', '/no-such-issue/')).status).toBe(404);

    // Still serving, and the archive works.
    const home = await raw(base, 'GET', '/');
    expect(home.status).toBe(200);
    expect(home.body).toContain(`href="./${ISSUE}/"`);
    expect(home.body).toContain('CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi');
    const issue = await raw(base, 'GET', `/${ISSUE}/`);
    expect(issue.status).toBe(200);
    expect(issue.body).toContain('CEO Klarna Peringatkan');
    expect(issue.body).not.toMatch(/\/u\/[A-Za-z0-9]/);
    expect(issue.body).not.toContain('FWX0');
    expect((await raw(base, 'GET', `/${ISSUE}`)).headers.location).toBe(`/${ISSUE}/`);
  });

  it('refuses to start without FINTECHWEEKLY_UNSUBSCRIBE_SECRET', async () => {
    const { project } = await setup(0);
    const result = await project.run(['serve', '--port', '0'], { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set');
  });
});

describe('build writes the archive for any static host', () => {
  it('dist/index.html lists the built issues newest first; dist/<slug>/index.html carries no token', async () => {
    const { project } = await setup(0);
    const older = path.join(project.dir, 'issues', '2026-11-20-edisi-lama.md');
    writeFileSync(older, readFileSync(path.join(project.dir, 'issues', `${ISSUE}.md`), 'utf8').replace(/^title: .*$/m, 'title: "Edisi lama"').replace(/^date: .*$/m, 'date: 2026-11-20'));
    const result = await project.run(['build']);
    expect(result.code).toBe(0);
    const index = readFileSync(path.join(project.dir, 'dist', 'index.html'), 'utf8');
    expect(index.indexOf(`./${ISSUE}/`)).toBeGreaterThan(-1);
    expect(index.indexOf(`./${ISSUE}/`)).toBeLessThan(index.indexOf('./2026-11-20-edisi-lama/'));
    const web = readFileSync(path.join(project.dir, 'dist', ISSUE, 'index.html'), 'utf8');
    const email = readFileSync(path.join(project.dir, 'dist', ISSUE, 'email.html'), 'utf8');
    expect(email).toContain('/u/preview');
    expect(web).not.toContain('/u/');
    expect(web).toContain('href="https://news.fintechweekly.example/"');
  });
});
