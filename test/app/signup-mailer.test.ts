import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignupMailEvent } from '../../src/app/signup-mailer.js';
import { openSignupService, type SignupService } from '../../src/app/signup-service.js';
import type { SignupInput } from '../../src/app/signup-request.js';
import { parseUnsubscribeToken, verifyUnsubscribeToken } from '../../src/core/message/token.js';
import { getSubscriberByEmail, unsubscribe } from '../../src/store/subscribers.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';
import { SECRET, signupProject, type SignupProject } from './signup-project.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sink(options: Parameters<typeof startSmtpSink>[0] = {}): Promise<SmtpSink> {
  const s = await startSmtpSink(options);
  cleanups.push(() => s.close());
  return s;
}

function project(options: Parameters<typeof signupProject>[0]): SignupProject {
  const p = signupProject(options);
  cleanups.push(() => p.remove());
  return p;
}

async function service(p: SignupProject, events: SignupMailEvent[] = []): Promise<SignupService> {
  const s = await openSignupService({ settings: p.settings, db: p.db, secret: SECRET, now: p.clock.get, pollMs: 200, onEvent: (e) => events.push(e) });
  let stopped = false;
  cleanups.push(() => (stopped ? undefined : s.stop()));
  return { ...s, stop: async () => ((stopped = true), await s.stop()) };
}

let ipCounter = 1;
const form = (email: string, name = ''): SignupInput => {
  const ip = `198.51.100.${ipCounter++ % 250}`;
  return { email, name, honeypot: '', sourcePage: 'https://news.fintechweekly.example/subscribe', ip, rateKey: ip };
};

/** A header as the message carries it, unfolded. */
const header = (m: SinkMessage, name: string) => {
  const line = m.parsed?.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
};
const confirmToken = (m: SinkMessage) => {
  const token = /\/confirm\/([A-Za-z0-9._-]+)/.exec(m.parsed?.text ?? '')?.[1];
  if (!token) throw new Error('no confirmation link in the text part');
  return token;
};

/** A port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('the sign-up mailer', () => {
  it('mails the confirmation through the configured SMTP server: one link that confirms, no name from the form, both parts, the newsletter look', async () => {
    const smtp = await sink();
    const p = project({ smtpUrl: smtp.url });
    const s = await service(p);
    expect((await s.desk.submit(form('reader@example.com', 'Free Crypto at scam.example')))?.decision).toBe('queued');
    await until(() => smtp.messages.length === 1, 'the confirmation email');
    const [message] = smtp.messages as [SinkMessage];
    expect(message.envelope).toEqual({ from: 'newsletter@fintechweekly.example', to: ['reader@example.com'] });
    expect(message.parsed?.subject).toBe('Konfirmasi langganan FinTech Weekly Anda');
    expect(header(message, 'to')).toContain('reader@example.com');
    expect(message.raw.toString()).not.toContain('scam.example');
    expect(header(message, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
    expect(message.parsed?.html).toContain('Dibaca oleh eksekutif di JP Morgan');
    expect(message.parsed?.html).toContain('Konfirmasi langganan');
    const token = confirmToken(message);
    expect(message.parsed?.html).toContain(`https://news.fintechweekly.example/confirm/${token}`);
    expect(await s.desk.inspect(token)).toEqual({ kind: 'ready', email: 'reader@example.com' });
    expect((await s.desk.confirm(token)).kind).toBe('confirmed');
    expect(getSubscriberByEmail(p.db, 'reader@example.com')).toMatchObject({ status: 'active', name: 'Free Crypto at scam.example' });
    await until(() => p.sql<{ mail_state: string }>('SELECT mail_state FROM signups')[0]?.mail_state === 'sent', 'the send log row');
    // The List-Unsubscribe link works for this reader (a stranger can say "not me" with one click).
    const unsubscribeToken = /\/u\/([^>\s]+)>/.exec(header(message, 'list-unsubscribe'))?.[1] ?? '';
    const claim = parseUnsubscribeToken(unsubscribeToken);
    expect(claim && verifyUnsubscribeToken(SECRET, unsubscribeToken, claim.subscriberId, 'reader@example.com')).toBe(true);
  });

  it('signs the confirmation with the configured DKIM key, like the newsletter', async () => {
    const smtp = await sink();
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const p = project({ smtpUrl: smtp.url, config: { dkim: { domain: 'fintechweekly.example', selector: 'fw2026', privateKeyPath: 'keys/dkim.pem' } } });
    mkdirSync(path.join(p.dir, 'keys'));
    writeFileSync(path.join(p.dir, 'keys/dkim.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const s = await service(p);
    await s.desk.submit(form('dkim@example.com'));
    await until(() => smtp.messages.length === 1, 'the confirmation email');
    const p64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = async (name: string, type: string): Promise<string[][]> => {
      if (type === 'TXT' && name === 'fw2026._domainkey.fintechweekly.example') return [[`v=DKIM1; k=rsa; p=${p64}`]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const { dkimVerify } = await import('mailauth');
    const verified = await dkimVerify((smtp.messages[0] as SinkMessage).raw, { resolver });
    expect((verified.results[0]?.status as { result?: string }).result).toBe('pass');
  });

  it('a slow SMTP server does not hold up the form: sign-ups are queued while the first email hangs', async () => {
    const smtp = await sink({ dataReply: (n) => (n === 1 ? 'hang' : undefined) });
    const p = project({ smtpUrl: smtp.url, config: { smtp: { connections: 1, rate: 10000, messageTimeoutSeconds: 3 } } });
    const s = await service(p);
    await s.desk.submit(form('first@example.com'));
    await until(() => smtp.dropped.length === 1, 'the first email to reach the hanging server');
    const reports = await Promise.all(Array.from({ length: 20 }, (_, i) => s.desk.submit(form(`later${i}@example.com`))));
    expect(reports.every((r) => r.decision === 'queued')).toBe(true);
    expect(smtp.dropped).toHaveLength(1);
    expect(smtp.messages).toHaveLength(0);
    // Once the stuck email times out (may have arrived: unknown, never resent), the queue moves on.
    await until(() => smtp.messages.length === 20, 'the other emails', 30_000);
    expect(p.sql<{ mail_state: string }>("SELECT mail_state FROM signups WHERE email = 'first@example.com'")[0]?.mail_state).toBe('unknown');
  });

  it('a confirmation queued while the SMTP server is down is sent after serve starts again', async () => {
    const p = project({ smtpUrl: `smtp://127.0.0.1:${await closedPort()}` });
    const events: SignupMailEvent[] = [];
    const first = await service(p, events);
    await first.desk.submit(form('patient@example.com'));
    await until(() => events.some((e) => e.kind === 'smtp-unavailable'), 'the mailer to find the server down');
    await first.stop();
    expect(p.sql<{ mail_state: string; mail_attempts: number }>('SELECT mail_state, mail_attempts FROM signups')).toEqual([{ mail_state: 'queued', mail_attempts: 0 }]);

    // A restart on the same store, with the relay back.
    const smtp = await sink();
    p.reopen();
    const restarted = await service({ ...p, settings: { ...p.settings, secrets: { ...p.settings.secrets, smtpUrl: smtp.url } } });
    await until(() => smtp.messages.length === 1, 'the queued confirmation after the restart');
    expect((smtp.messages[0] as SinkMessage).envelope.to).toEqual(['patient@example.com']);
    await restarted.stop();
  });

  it('an email that was being sent when serve died is unknown and not sent again; the queued ones go', async () => {
    const smtp = await sink();
    const p = project({ smtpUrl: smtp.url, config: { signup: { enabled: true } } });
    const events: SignupMailEvent[] = [];
    // Two sign-ups recorded by a serve that died: one in flight, one still queued.
    const first = await service(p, events);
    await first.stop();
    await first.desk.submit(form('inflight@example.com'));
    await first.desk.submit(form('queued@example.com'));
    p.db.prepare("UPDATE signups SET mail_state = 'sending', mail_attempts = 1 WHERE email = 'inflight@example.com'").run();
    const second = await service(p, events);
    await until(() => smtp.messages.length === 1, 'the queued email');
    await second.stop();
    expect(smtp.messages.map((m) => m.envelope.to[0])).toEqual(['queued@example.com']);
    expect(p.sql<{ email: string; mail_state: string }>('SELECT email, mail_state FROM signups ORDER BY id')).toEqual([
      { email: 'inflight@example.com', mail_state: 'unknown' },
      { email: 'queued@example.com', mail_state: 'sent' },
    ]);
    expect(events).toContainEqual({ kind: 'recovered', confirmations: 1, welcome: 0 });
  });

  it('a 4xx reply is retried; a 5xx reply fails for good', async () => {
    const smtp = await sink({ rcptReply: (address, attempt) => (address === 'grey@example.com' && attempt === 1 ? 451 : address === 'nobody@example.com' ? 550 : undefined) });
    const p = project({ smtpUrl: smtp.url });
    const s = await service(p);
    await s.desk.submit(form('grey@example.com'));
    await s.desk.submit(form('nobody@example.com'));
    await until(() => p.sql<{ n: number }>("SELECT COUNT(*) AS n FROM signups WHERE mail_state IN ('sent', 'failed')")[0]?.n === 2, 'both emails to settle');
    expect(p.sql('SELECT email, mail_state, mail_attempts FROM signups ORDER BY id')).toEqual([
      { email: 'grey@example.com', mail_state: 'sent', mail_attempts: 2 },
      { email: 'nobody@example.com', mail_state: 'failed', mail_attempts: 1 },
    ]);
    expect(smtp.received('grey@example.com')).toHaveLength(1);
  });
});

describe('the welcome email', () => {
  it('goes once to each reader who confirms, with their own unsubscribe link, through the send log', async () => {
    const smtp = await sink();
    const p = project({ smtpUrl: smtp.url, welcome: true });
    const s = await service(p);
    await s.desk.submit(form('new@example.com', 'Ayu'));
    await until(() => smtp.messages.length === 1, 'the confirmation');
    expect((await s.desk.confirm(confirmToken(smtp.messages[0] as SinkMessage))).kind).toBe('confirmed');
    await until(() => smtp.messages.length === 2, 'the welcome email');
    const welcome = smtp.messages[1] as SinkMessage;
    expect(welcome.parsed?.subject).toBe('Selamat datang di FinTech Weekly');
    expect(welcome.parsed?.html).toContain('Terima kasih sudah berlangganan');
    expect(header(welcome, 'to')).toContain('Ayu');
    const subscriber = getSubscriberByEmail(p.db, 'new@example.com');
    const unsubscribeToken = /\/u\/([^>\s]+)>/.exec(header(welcome, 'list-unsubscribe'))?.[1] ?? '';
    expect(verifyUnsubscribeToken(SECRET, unsubscribeToken, subscriber?.id ?? -1, 'new@example.com')).toBe(true);
    await until(() => p.sql<{ state: string }>('SELECT state FROM deliveries')[0]?.state === 'sent', 'the send log');
    expect(p.sql('SELECT c.slug, d.email, d.state FROM deliveries d JOIN campaigns c ON c.id = d.campaign_id')).toEqual([
      { slug: 'welcome:selamat-datang', email: 'new@example.com', state: 'sent' },
    ]);
    // Unsubscribed, signed up and confirmed again: no second welcome.
    unsubscribe(p.db, subscriber?.id as number);
    p.clock.advance(11 * 60_000);
    await s.desk.submit(form('new@example.com'));
    await until(() => smtp.messages.length === 3, 'the second confirmation');
    expect((await s.desk.confirm(confirmToken(smtp.messages[2] as SinkMessage))).kind).toBe('confirmed');
    await s.stop();
    expect(smtp.messages.map((m) => m.parsed?.subject)).toEqual(['Konfirmasi langganan FinTech Weekly Anda', 'Selamat datang di FinTech Weekly', 'Konfirmasi langganan FinTech Weekly Anda']);
    expect(p.sql<{ n: number }>('SELECT COUNT(*) AS n FROM deliveries')[0]?.n).toBe(1);
  });

  it('a welcome email in flight when serve died is never sent twice', async () => {
    const smtp = await sink();
    const p = project({ smtpUrl: smtp.url, welcome: true });
    const first = await service(p);
    await first.desk.submit(form('crash@example.com'));
    await until(() => smtp.messages.length === 1, 'the confirmation');
    await first.stop();
    // Confirmed, and the welcome was being sent when the process died.
    expect((await first.desk.confirm(confirmToken(smtp.messages[0] as SinkMessage))).kind).toBe('confirmed');
    p.db.prepare("UPDATE deliveries SET state = 'sending', attempts = 1").run();
    const events: SignupMailEvent[] = [];
    const second = await service(p, events);
    await until(() => events.some((e) => e.kind === 'recovered'), 'the recovery');
    await second.stop();
    expect(smtp.messages).toHaveLength(1);
    expect(p.sql<{ state: string }>('SELECT state FROM deliveries')).toEqual([{ state: 'unknown' }]);
  });

  it('a broken welcome file stops serve at start with a message naming it', async () => {
    const smtp = await sink();
    const p = project({ smtpUrl: smtp.url, welcome: true });
    writeFileSync(path.join(p.dir, 'welcome/selamat-datang.md'), '---\ntitle: Tanpa tanggal\n---\n\nIsi.\n');
    await expect(openSignupService({ settings: p.settings, db: p.db, secret: SECRET })).rejects.toThrow(/signup\.welcome: .*selamat-datang\.md.*date/s);
  });

  it('without an SMTP server the form cannot start, and says how to turn it off', async () => {
    const p = project({});
    await expect(openSignupService({ settings: p.settings, db: p.db, secret: SECRET })).rejects.toMatchObject({
      message: expect.stringContaining('the sign-up form sends confirmation emails'),
      hint: expect.stringContaining('signup.enabled: false'),
    });
  });
});
