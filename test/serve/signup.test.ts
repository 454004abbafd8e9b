import { request, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSignupService, type SignupService } from '../../src/app/signup-service.js';
import { createConfirmToken } from '../../src/core/message/confirm-token.js';
import { createArchiveServer, type ServeEvent } from '../../src/serve/server.js';
import { createSignupRoutes } from '../../src/serve/signup-routes.js';
import { loadPageStrings } from '../../src/serve/strings.js';
import { addSubscriber, getSubscriberByEmail, getSubscriberById, unsubscribe } from '../../src/store/subscribers.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';
import { SECRET, signupProject, type SignupProject } from '../app/signup-project.js';

/**
 * The HTTP contract of the sign-up form, against a real server on 127.0.0.1 with the real
 * use-cases, store and mailer (to a real SMTP server on loopback); the clock is the test's.
 */

let project: SignupProject;
let smtp: SmtpSink;
let signup: SignupService;
let server: Server;
let base: string;
let events: ServeEvent[];

async function start(options: { trustProxy?: boolean | number } = {}): Promise<void> {
  signup = await openSignupService({ settings: project.settings, db: project.db, secret: SECRET, now: project.clock.get, pollMs: 200 });
  const pages = { config: project.settings.config, strings: loadPageStrings(project.settings, project.settings.config.lang) };
  events = [];
  server = createArchiveServer({
    secret: SECRET,
    distDir: `${project.dir}/dist`,
    pages,
    archiveEntries: () => [],
    subscribers: { emailOf: (id) => getSubscriberById(project.db, id)?.email, unsubscribe: (id) => void unsubscribe(project.db, id) },
    signup: createSignupRoutes({ pages: { ...pages, signup: signup.strings }, desk: signup.desk, trustProxy: options.trustProxy ?? false, maxBodyBytes: 4096 }),
    onEvent: (event) => events.push(event),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function stop(): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await signup.stop();
}

beforeEach(async () => {
  smtp = await startSmtpSink();
  project = signupProject({ smtpUrl: smtp.url });
});
afterEach(async () => {
  await stop();
  await smtp.close();
  project.remove();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(method: string, pathname: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path: pathname, headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(body)) }), ...headers } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const subscribe = (fields: Record<string, string>, headers: Record<string, string> = {}) => http('POST', '/subscribe', new URLSearchParams(fields).toString(), headers);
const statusOf = (email: string) => getSubscriberByEmail(project.db, email)?.status;
const count = (table: string) => project.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)[0]?.n;
const confirmToken = (m: SinkMessage) => /\/confirm\/([A-Za-z0-9._-]+)/.exec(m.parsed?.text ?? '')?.[1] ?? '';

describe('GET /subscribe', () => {
  it('is a plain form in the config language: email, optional name, an off-screen honeypot, the promise, no script, framed by nobody', async () => {
    await start();
    const res = await http('GET', '/subscribe');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<html lang="id">');
    expect(res.body).toContain('<form method="post"');
    expect(res.body).toMatch(/<input id="fw-email" type="email" name="email" required/);
    expect(res.body).toMatch(/<input id="fw-name" type="text" name="name"/);
    expect(res.body).toMatch(/<div class="fw-hp" aria-hidden="true">.*name="website" tabindex="-1" autocomplete="off"/);
    expect(res.body).toContain(signup.strings.promise);
    expect(res.body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(res.body).not.toMatch(/<script/i);
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect((await http('HEAD', '/subscribe')).status).toBe(200);
    expect((await http('PUT', '/subscribe', '')).status).toBe(405);
  });
});

describe('POST /subscribe', () => {
  it('answers the same bytes for a new, pending, active, unsubscribed or bounced address, the honeypot and every limit', async () => {
    await start();
    addSubscriber(project.db, { email: 'active@example.com' });
    const gone = addSubscriber(project.db, { email: 'gone@example.com' });
    unsubscribe(project.db, gone.id);
    const bounced = addSubscriber(project.db, { email: 'bounced@example.com' });
    project.db.prepare("UPDATE subscribers SET status = 'bounced' WHERE id = ?").run(bounced.id);
    const answers: Reply[] = [];
    const submissions: Record<string, string>[] = [
      { email: 'new@example.com', name: 'Ayu' },
      { email: 'new@example.com' }, // pending now, and over its address limit
      { email: 'active@example.com' },
      { email: 'gone@example.com' },
      { email: 'bounced@example.com', website: '' },
      { email: 'bot@example.com', website: 'http://spam.example' },
      { email: 'sixth@example.com' }, // over the per-IP limit of 5
    ];
    for (const fields of submissions) {
      answers.push(await subscribe(fields));
    }
    expect(answers.map((a) => a.status)).toEqual(Array(7).fill(200));
    expect(new Set(answers.map((a) => a.body)).size).toBe(1);
    expect(new Set(answers.map((a) => a.headers['content-length'])).size).toBe(1);
    expect(answers[0]?.body).toContain('Periksa kotak masuk Anda');
    expect(answers[0]?.body).not.toContain('example.com');
    expect(answers[0]?.headers['set-cookie']).toBeUndefined();
    expect([statusOf('new@example.com'), statusOf('active@example.com'), statusOf('gone@example.com'), statusOf('bounced@example.com'), statusOf('bot@example.com'), statusOf('sixth@example.com')]).toEqual([
      'pending',
      'active',
      'pending',
      'pending',
      undefined,
      undefined,
    ]);
    await until(() => smtp.messages.length === 3, 'three confirmations');
    // Stopping the mailer waits for anything in flight: after it, the sink has all there will be.
    await signup.stop();
    expect(smtp.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['bounced@example.com', 'gone@example.com', 'new@example.com']);
  });

  it('an active reader who submits again stays active and gets no mail', async () => {
    await start();
    addSubscriber(project.db, { email: 'loyal@example.com', name: 'Loyal' });
    for (let i = 0; i < 3; i++) {
      expect((await subscribe({ email: 'LOYAL@example.com', name: 'Changed' }, { 'X-Forwarded-For': `192.0.2.${i}` })).status).toBe(200);
      project.clock.advance(11 * 60_000);
    }
    // Something the mailer does send, so that "nothing for loyal@" is not just "nothing yet".
    await subscribe({ email: 'control@example.com' });
    await until(() => smtp.messages.length === 1, 'the control email');
    expect(smtp.received('loyal@example.com')).toHaveLength(0);
    expect(getSubscriberByEmail(project.db, 'loyal@example.com')).toMatchObject({ status: 'active', name: 'Loyal' });
  });

  it('many requests: per IP a few per 10 minutes from the socket address; X-Forwarded-For is ignored unless serve.trustProxy', async () => {
    await start();
    const replies = [];
    for (let i = 0; i < 30; i++) replies.push(await subscribe({ email: `flood${i}@example.com` }, { 'X-Forwarded-For': `203.0.113.${i}` }));
    expect(new Set(replies.map((r) => r.body)).size).toBe(1);
    expect(count('signups')).toBe(5);
    await until(() => smtp.messages.length === 5, 'five confirmations');
    project.clock.advance(10 * 60_000 + 1);
    await subscribe({ email: 'later@example.com' });
    expect(count('signups')).toBe(6);
  });

  it('behind a trusted proxy the reader is the right-most X-Forwarded-For entry; what the client wrote further left does not help', async () => {
    await start({ trustProxy: true });
    for (let i = 0; i < 30; i++) await subscribe({ email: `spoof${i}@example.com` }, { 'X-Forwarded-For': `10.0.0.${i}, 198.51.100.77` });
    expect(count('signups')).toBe(5);
    for (let i = 0; i < 10; i++) await subscribe({ email: `honest${i}@example.com` }, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
    expect(count('signups')).toBe(15);
  });

  it('many requests for one address from many IPs: one confirmation per 10 minutes, three a day', async () => {
    await start({ trustProxy: true });
    const round = async () => {
      for (let i = 0; i < 15; i++) await subscribe({ email: 'target@example.com' }, { 'X-Forwarded-For': `198.51.100.${(i * 7) % 250}` });
    };
    await round();
    project.clock.advance(11 * 60_000);
    await round();
    project.clock.advance(11 * 60_000);
    await round();
    project.clock.advance(11 * 60_000);
    await round();
    await until(() => smtp.messages.length === 3, 'three confirmations');
    await signup.stop();
    expect(smtp.received('target@example.com')).toHaveLength(3);
  });

  it('bad input: a wrong address shows the form again with a message; too large, wrong type and wrong method are refused; nothing is stored', async () => {
    await start();
    const bad = await subscribe({ email: 'reader(at)example.com', name: 'Ayu' });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain(signup.strings.invalidEmail);
    expect(bad.body).toContain('value="reader(at)example.com"');
    const injected = await subscribe({ email: '"><script>alert(1)</script>@example.com' });
    expect(injected.status).toBe(400);
    expect(injected.body).not.toContain('<script>alert(1)');
    expect((await subscribe({ email: 'ok@example.com', name: 'Ayu\r\nBcc: x@example.com' })).status).toBe(400);
    expect((await subscribe({ email: 'big@example.com', name: 'x'.repeat(5000) })).status).toBe(413);
    expect((await http('POST', '/subscribe', JSON.stringify({ email: 'json@example.com' }), { 'Content-Type': 'application/json' })).status).toBe(415);
    expect([count('subscribers'), count('signups'), count('signup_attempts')]).toEqual([0, 0, 0]);
    // And it keeps serving.
    expect((await subscribe({ email: 'ok@example.com' })).status).toBe(200);
    expect(count('signups')).toBe(1);
  });
});

describe('/confirm/TOKEN', () => {
  async function signUp(email: string): Promise<string> {
    const before = smtp.received(email).length;
    await subscribe({ email });
    await until(() => smtp.received(email).length > before, `the confirmation to ${email}`);
    return confirmToken(smtp.received(email).at(-1) as SinkMessage);
  }

  it('GET shows the address and a button and never confirms; POST with the button confirms; the link then says it was used', async () => {
    await start();
    const token = await signUp('reader@example.com');
    for (const method of ['GET', 'HEAD', 'GET']) expect((await http(method, `/confirm/${token}`)).status).toBe(200);
    const page = await http('GET', `/confirm/${token}`);
    expect(page.body).toContain('<p class="address">reader@example.com</p>');
    expect(page.body).toContain('name="confirm" value="yes"');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    // A scanner's empty POST asks again and changes nothing.
    expect((await http('POST', `/confirm/${token}`, '')).status).toBe(400);
    expect(statusOf('reader@example.com')).toBe('pending');
    const done = await http('POST', `/confirm/${token}`, 'confirm=yes');
    expect(done.status).toBe(200);
    expect(done.body).toContain('Langganan Anda aktif');
    expect(statusOf('reader@example.com')).toBe('active');
    const again = await http('POST', `/confirm/${token}`, 'confirm=yes');
    expect(again.status).toBe(409);
    expect(again.body).toContain('Tautan sudah dipakai');
    // The log never holds a token.
    expect(JSON.stringify(events)).not.toContain(token);
    expect(events).toContainEqual({ kind: 'request', method: 'POST', path: '/confirm/[token]', status: 200 });
  });

  it('forged and expired tokens get a clear page and change nothing', async () => {
    await start();
    const token = await signUp('reader@example.com');
    const [id, exp, mac] = token.split('.') as [string, string, string];
    const forged = [`${id}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, `${Number(id) + 1}.${exp}.${mac}`, createConfirmToken('another-secret', Number(id), 'reader@example.com', new Date(parseInt(exp, 36) * 1000)), 'nonsense', ''];
    const bodies = new Set<string>();
    for (const t of forged) {
      for (const [method, body] of [['GET', undefined], ['POST', 'confirm=yes']] as const) {
        const res = await http(method, `/confirm/${t}`, body);
        expect(res.status, `${method} ${t}`).toBe(400);
        bodies.add(res.body);
      }
    }
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain('Tautan tidak valid');
    expect([...bodies][0]).toContain('href="/subscribe"');
    project.clock.advance(48 * 3_600_000);
    const expired = await http('POST', `/confirm/${token}`, 'confirm=yes');
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('Tautan sudah kedaluwarsa');
    expect(statusOf('reader@example.com')).toBe('pending');
  });

  it('unsubscribed, then signed up again: it takes a new confirmation, and the old link does not do it', async () => {
    await start();
    const first = await signUp('back@example.com');
    expect((await http('POST', `/confirm/${first}`, 'confirm=yes')).status).toBe(200);
    unsubscribe(project.db, 'back@example.com');
    project.clock.advance(11 * 60_000);
    const second = await signUp('back@example.com');
    expect(statusOf('back@example.com')).toBe('pending');
    expect((await http('POST', `/confirm/${first}`, 'confirm=yes')).status).toBe(409);
    expect(statusOf('back@example.com')).toBe('pending');
    expect((await http('POST', `/confirm/${second}`, 'confirm=yes')).status).toBe(200);
    expect(statusOf('back@example.com')).toBe('active');
  });
});

describe('the archive', () => {
  it('links to the form', async () => {
    await start();
    const home = await http('GET', '/');
    expect(home.body).toContain('<a href="https://news.fintechweekly.example/subscribe"><strong>Berlangganan newsletter ini</strong></a>');
  });
});
