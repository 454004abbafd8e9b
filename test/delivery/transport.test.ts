import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import type { Secrets } from '../../src/config/load.js';
import { isLoopbackHost, openSmtpTransport, resolveSmtpSettings } from '../../src/delivery/transport.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';

const secrets = (s: Partial<Secrets> = {}): Secrets => ({ smtpUrl: undefined, smtpPassword: undefined, unsubscribeSecret: 'x', ...s });
const config = (smtp: Record<string, unknown> = {}) => configSchema.parse({ smtp });

describe('resolveSmtpSettings', () => {
  it('reads FINTECHWEEKLY_SMTP_URL, decoding user and password, smtps meaning implicit TLS', () => {
    const s = resolveSmtpSettings(config(), secrets({ smtpUrl: 'smtps://news%40example.com:p%40ss%3Aword@smtp.example.com' }), '/p');
    expect(s).toMatchObject({ host: 'smtp.example.com', port: 465, secure: true, requireTLS: false, user: 'news@example.com', password: 'p@ss:word' });
  });

  it('requires STARTTLS to a remote host unless the config allows plain SMTP, and not to loopback', () => {
    expect(resolveSmtpSettings(config({ host: 'smtp.example.com', user: 'u' }), secrets({ smtpPassword: 'pw' }), '/p')).toMatchObject({ port: 587, requireTLS: true, password: 'pw' });
    expect(resolveSmtpSettings(config({ host: 'relay.example.com', port: 25, allowPlain: true }), secrets(), '/p').requireTLS).toBe(false);
    expect(resolveSmtpSettings(config(), secrets({ smtpUrl: 'smtp://127.0.0.1:2525' }), '/p').requireTLS).toBe(false);
    // Certificates are checked wherever TLS is what protects the session.
    expect(resolveSmtpSettings(config({ host: 'smtp.example.com' }), secrets(), '/p').verifyCertificate).toBe(true);
    expect(resolveSmtpSettings(config(), secrets({ smtpUrl: 'smtps://smtp.example.com' }), '/p').verifyCertificate).toBe(true);
    expect(resolveSmtpSettings(config(), secrets({ smtpUrl: 'smtp://localhost:1025' }), '/p').verifyCertificate).toBe(false);
    expect(['localhost', '127.0.0.1', '127.8.9.1', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', 'smtp.example.com', '128.0.0.1'].some(isLoopbackHost)).toBe(false);
  });

  it('says how to configure SMTP when nothing is configured, and asks for the password of a configured user', () => {
    expect(() => resolveSmtpSettings(config(), secrets(), '/p')).toThrow(/no SMTP server is configured/);
    expect(() => resolveSmtpSettings(config({ host: 'smtp.example.com', user: 'u' }), secrets(), '/p')).toThrow(/the SMTP user u has no password/);
    expect(() => resolveSmtpSettings(config(), secrets({ smtpUrl: 'http://x' }), '/p')).toThrow(/must start with smtp:\/\/ or smtps:\/\//);
  });
});

describe('openSmtpTransport against a loopback server', () => {
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
  });
  const base = { host: '127.0.0.1', secure: false, verifyCertificate: true, user: undefined, password: undefined, connections: 2, messageTimeoutMs: 10_000, dkim: undefined };
  const message = { envelope: { from: 'newsletter@fintechweekly.example', to: ['reader@example.com'] }, chunks: [Buffer.from('Subject: hi\r\n'), Buffer.from('\r\nhello\r\n')] };

  it('sends pre-composed bytes and reports the 250 reply', async () => {
    sink = await startSmtpSink();
    const transport = await openSmtpTransport({ ...base, port: sink.port, requireTLS: false });
    const outcome = await transport.send(message);
    await transport.close();
    expect(outcome).toMatchObject({ kind: 'sent', code: 250 });
    expect(sink.messages[0]?.raw.toString()).toBe('Subject: hi\r\n\r\nhello\r\n');
  });

  it('refuses a self-signed certificate where it must be valid, and uses STARTTLS with it where plain SMTP is allowed anyway', async () => {
    sink = await startSmtpSink({ startTls: true });
    const strict = await openSmtpTransport({ ...base, port: sink.port, requireTLS: false });
    const refused = await strict.send(message);
    await strict.close();
    expect(refused).toMatchObject({ kind: 'abort', fix: 'tls' });
    expect(sink.messages).toHaveLength(0);

    const local = await openSmtpTransport({ ...base, port: sink.port, requireTLS: false, verifyCertificate: false });
    const outcome = await local.send(message);
    await local.close();
    expect(outcome).toMatchObject({ kind: 'sent', code: 250 });
    expect(sink.messages).toHaveLength(1);
  });

  it('aborts, asking to fix TLS, when TLS is required and the server cannot do STARTTLS', async () => {
    sink = await startSmtpSink();
    const transport = await openSmtpTransport({ ...base, port: sink.port, requireTLS: true });
    const outcome = await transport.send(message);
    await transport.close();
    expect(outcome).toMatchObject({ kind: 'abort', fix: 'tls' });
    expect(sink.messages).toHaveLength(0);
  });
});

describe('openSmtpTransport abort() (the stop of a send)', () => {
  let sink: SmtpSink | undefined;
  afterEach(async () => {
    await sink?.close();
  });
  const base = { host: '127.0.0.1', secure: false, requireTLS: false, verifyCertificate: true, user: undefined, password: undefined, connections: 2, messageTimeoutMs: 10_000, dkim: undefined };
  const message = (to: string) => ({ envelope: { from: 'newsletter@fintechweekly.example', to: [to] }, chunks: [Buffer.from('Subject: hi\r\n'), Buffer.from('\r\nhello\r\n')] });

  it('cuts a message that has not reached DATA as cancelled, one the server is receiving as unknown, and sends nothing after', async () => {
    let atRcpt: () => void = () => undefined;
    let atData: () => void = () => undefined;
    const reachedRcpt = new Promise<void>((resolve) => (atRcpt = resolve));
    const reachedData = new Promise<void>((resolve) => (atData = resolve));
    sink = await startSmtpSink({
      rcptReply: (to) => (to === 'before-data@example.com' ? (atRcpt(), 'hang') : undefined),
      dataReply: (_n, envelope) => (envelope.to[0] === 'after-data@example.com' ? (atData(), 'hang') : undefined),
    });
    const transport = await openSmtpTransport({ ...base, port: sink.port });
    const beforeData = transport.send(message('before-data@example.com'));
    const afterData = transport.send(message('after-data@example.com'));
    await Promise.all([reachedRcpt, reachedData]);
    transport.abort();
    expect(await beforeData).toMatchObject({ kind: 'cancelled' });
    expect(await afterData).toMatchObject({ kind: 'unknown', reply: expect.stringContaining('may have been delivered') });
    expect(await transport.send(message('later@example.com'))).toMatchObject({ kind: 'cancelled' });
    await transport.close();
    expect(sink.messages).toHaveLength(0);
    expect(sink.dropped.map((m) => m.envelope.to[0])).toEqual(['after-data@example.com']);
  });
});
