import { afterEach, describe, expect, it } from 'vitest';
import { buildIssues } from '../../src/app/build-issues.js';
import { addSubscriber } from '../../src/app/edit-subscriber.js';
import { startServer, type RunningServer } from '../../src/app/start-server.js';
import type { Settings } from '../../src/config/load.js';
import { EXIT } from '../../src/core/errors.js';
import { createUnsubscribeToken } from '../../src/core/message/token.js';
import type { ServeEvent } from '../../src/serve/server.js';
import { withStore } from '../../src/store/db.js';
import { getSubscriberByEmail } from '../../src/store/subscribers.js';
import { ONE_CLICK, raw } from '../helpers/raw-request.js';
import { KLARNA, settingsOf, tempProject, type TempProject } from '../helpers/temp-project.js';

const SECRET = 'test-unsubscribe-secret-0123456789';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(settings: Settings, port = 0): Promise<{ base: string; server: RunningServer; events: ServeEvent[] }> {
  const events: ServeEvent[] = [];
  const server = await startServer(settings, { port, host: '127.0.0.1' }, { onEvent: (event) => events.push(event) });
  cleanups.push(() => server.close());
  return { base: `http://127.0.0.1:${server.port}`, server, events };
}

/** A project with `count` subscribers (reader1@example.com...) and the unsubscribe token each one's messages carry. */
async function setup(count: number): Promise<{ p: TempProject; settings: Settings; tokens: string[] }> {
  const p = tempProject();
  cleanups.push(() => p.remove());
  const settings = settingsOf(p.dir, { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET });
  const tokens: string[] = [];
  for (let i = 1; i <= count; i++) {
    const s = await addSubscriber(settings, { email: `reader${i}@example.com` });
    tokens.push(createUnsubscribeToken(SECRET, s.id, s.email));
  }
  return { p, settings, tokens };
}

const statusOf = (settings: Settings, email: string) => withStore(settings.dbPath, (db) => getSubscriberByEmail(db, email)?.status);

describe('startServer', () => {
  it('unsubscribes on POST with a valid token, logging the subscriber by id and never the token', async () => {
    const { settings, tokens } = await setup(2);
    const { base, events } = await serve(settings);
    const token = tokens[1] as string;
    expect((await raw(base, 'GET', `/u/${token}`)).status).toBe(200);
    expect(await statusOf(settings, 'reader2@example.com')).toBe('active');
    expect((await raw(base, 'POST', `/u/${token}`, 'List-Unsubscribe=One-Click', ONE_CLICK)).status).toBe(200);
    expect(await statusOf(settings, 'reader2@example.com')).toBe('unsubscribed');
    expect(await statusOf(settings, 'reader1@example.com')).toBe('active');
    expect(events).toContainEqual({ kind: 'unsubscribed', subscriberId: 2 });
    expect(events).toContainEqual({ kind: 'request', method: 'POST', path: '/u/[token]', status: 200 });
    expect(JSON.stringify(events)).not.toContain(token);
  });

  it('a forged or unknown token gets the same 400 and unsubscribes nobody; a POST without the one-click body is refused', async () => {
    const { settings, tokens } = await setup(2);
    const { base } = await serve(settings);
    const token = tokens[0] as string;
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
    expect([await statusOf(settings, 'reader1@example.com'), await statusOf(settings, 'reader2@example.com')]).toEqual(['active', 'active']);

    const noBody = await raw(base, 'POST', `/u/${token}`, 'unsubscribe=yes', ONE_CLICK);
    expect(noBody.status).toBe(400);
    expect(await statusOf(settings, 'reader1@example.com')).toBe('active');
  });

  it('survives bad requests: 413 for a large body, 405 for wrong methods, traversal refused, and keeps serving the archive', async () => {
    const { p, settings, tokens } = await setup(1);
    expect((await buildIssues(settings, { refs: [], cwd: p.dir })).failed).toBe(0);
    const token = tokens[0] as string;
    const { base } = await serve(settings);

    const big = `List-Unsubscribe=One-Click&${'x'.repeat(200_000)}`;
    expect((await raw(base, 'POST', `/u/${token}`, big, ONE_CLICK)).status).toBe(413);
    expect(await statusOf(settings, 'reader1@example.com')).toBe('active');
    // Chunked, no Content-Length: counted as it arrives.
    const chunked = await raw(base, 'POST', `/u/${token}`, undefined, { ...ONE_CLICK, 'Transfer-Encoding': 'chunked' }).catch(() => undefined);
    expect(chunked?.status).toBe(400);

    for (const [method, target] of [['PUT', `/u/${token}`], ['DELETE', `/u/${token}`], ['POST', '/'], ['PATCH', `/${KLARNA}/`]] as const) {
      const res = await raw(base, method, target, '');
      expect(res.status, `${method} ${target}`).toBe(405);
      expect(res.headers.allow).toBeTruthy();
    }
    expect(await statusOf(settings, 'reader1@example.com')).toBe('active');

    for (const target of ['/../../../../etc/passwd', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', `/${KLARNA}/..%2f..%2ffintechweekly.config.yaml`, '/%2e%2e%5c%2e%2e%5cetc%5cpasswd', '/..', '/%00']) {
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
    expect(home.body).toContain(`href="./${KLARNA}/"`);
    expect(home.body).toContain('CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi');
    const issue = await raw(base, 'GET', `/${KLARNA}/`);
    expect(issue.status).toBe(200);
    expect(issue.body).toContain('CEO Klarna Peringatkan');
    expect(issue.body).not.toMatch(/\/u\/[A-Za-z0-9]/);
    expect(issue.body).not.toContain('FWX0');
    expect((await raw(base, 'GET', `/${KLARNA}`)).headers.location).toBe(`/${KLARNA}/`);
  });

  it('shows a new build at once: the archive is read on every request', async () => {
    const { p, settings } = await setup(0);
    const { base } = await serve(settings);
    expect((await raw(base, 'GET', `/${KLARNA}/`)).status).toBe(404);
    await buildIssues(settings, { refs: [], cwd: p.dir });
    expect((await raw(base, 'GET', `/${KLARNA}/`)).status).toBe(200);
    expect((await raw(base, 'GET', '/')).body).toContain(`href="./${KLARNA}/"`);
  });

  it('refuses to start without FINTECHWEEKLY_UNSUBSCRIBE_SECRET, and on a port in use', async () => {
    const { p, settings } = await setup(0);
    await expect(startServer(settingsOf(p.dir), { port: 0, host: '127.0.0.1' }, {})).rejects.toMatchObject({
      message: 'FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: serve cannot check unsubscribe links without it',
      exitCode: EXIT.error,
    });
    const { server } = await serve(settings);
    await expect(startServer(settings, { port: server.port, host: '127.0.0.1' }, {})).rejects.toMatchObject({
      message: `port ${server.port} on 127.0.0.1 is already in use`,
      hint: 'Stop the other server or pick another port with --port.',
    });
  });
});
