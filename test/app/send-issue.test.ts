import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import libqp from 'libqp';
import { afterEach, describe, expect, it } from 'vitest';
import type { FintechWeeklyError } from '../../src/core/errors.js';
import { verifyUnsubscribeToken } from '../../src/core/message/token.js';
import { openSmtpTransport, resolveSmtpSettings } from '../../src/delivery/transport.js';
import { sqliteCampaignSource } from '../../src/store/campaign-source.js';
import { openDb } from '../../src/store/db.js';
import { addSubscriber } from '../../src/store/subscribers.js';
import { countsByAddress, header, tokens } from '../helpers/sent-messages.js';
import { startSmtpSink, type SmtpSinkOptions } from '../helpers/smtp-sink.js';
import { address, ISSUE, SECRET } from '../cli/send-project.js';
import { sendHarness, type SendHarness } from './send-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(subscribers: number, sinkOptions: SmtpSinkOptions = {}, config?: Record<string, unknown>, options?: Parameters<typeof sendHarness>[3]): Promise<SendHarness> {
  const harness = await sendHarness(subscribers, sinkOptions, config, options);
  cleanups.push(() => harness.close());
  return harness;
}

/** The error a use-case throws, to read its message, hint and exit code. */
async function failure(promise: Promise<unknown>): Promise<FintechWeeklyError> {
  try {
    await promise;
  } catch (error) {
    return error as FintechWeeklyError;
  }
  throw new Error('expected the use-case to throw');
}

describe('sendIssue (in process, real SMTP server on loopback, real SQLite)', () => {
  it('delivers exactly one multipart/alternative message to each of 200 subscribers, each with their own verified token', async () => {
    const { sink, project, send } = await setup(200);
    const summary = await send();
    expect(summary).toMatchObject({ sent: 200, failed: 0, deferred: 0, unknown: 0, skipped: 0, incomplete: false });

    expect(sink.messages).toHaveLength(200);
    const counts = countsByAddress(sink);
    for (let i = 1; i <= 200; i++) expect(counts.get(address(i))).toBe(1);

    const ids = project.sql<{ id: number; email: string }>('SELECT id, email FROM subscribers');
    const idOf = new Map(ids.map((r) => [r.email, r.id]));
    const messageIds = new Set<string>();
    for (const message of sink.messages) {
      const to = message.envelope.to[0] as string;
      const parsed = message.parsed!;
      expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
      expect(parsed.subject).toBe('CEO Klarna Peringatkan Kehilangan Pekerjaan Akibat AI Bisa Memicu Resesi');
      expect(parsed.from?.value[0]).toMatchObject({ name: 'FinTech Weekly', address: 'newsletter@fintechweekly.example' });
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.address : undefined).toBe(to);
      expect(header(message, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(header(message, 'List-Unsubscribe')).toContain('<mailto:unsubscribe@fintechweekly.example?subject=unsubscribe%20');
      expect(header(message, 'List-Id')).toBe('FinTech Weekly <newsletter.fintechweekly.example>');
      const t = tokens(message);
      expect(verifyUnsubscribeToken(SECRET, t.header, idOf.get(to) as number, to)).toBe(true);
      expect(t.html.length).toBeGreaterThan(0);
      expect(t.text.length).toBeGreaterThan(0);
      expect(new Set([...t.html, ...t.text])).toEqual(new Set([t.header]));
      expect(t.raw).not.toContain('FWX0UNSUBSCRIBE0TOKEN0XWF');
      messageIds.add(parsed.messageId as string);
    }
    expect(messageIds.size).toBe(200);
    // Names: an encoded non-ASCII name arrives intact.
    const third = sink.received(address(3))[0]!.parsed!;
    expect(third.to && !Array.isArray(third.to) ? third.to.value[0]?.name : '').toBe('Pembaca Ke-3 Ümit');
    // The log says sent for all, with the Message-ID that went out.
    const log = project.deliveries();
    expect([...log.values()].every((d) => d.state === 'sent')).toBe(true);
    expect(log.get(address(1))?.message_id).toBe(sink.received(address(1))[0]!.parsed!.messageId);

    // A rerun sends nobody anything again.
    expect(await send()).toMatchObject({ sent: 0, incomplete: false });
    expect(sink.messages).toHaveLength(200);
  });

  it('retries 451 within the run and delivers; 550 ends failed and is not retried by a rerun', async () => {
    const { sink, project, send, events } = await setup(20, {
      rcptReply: (to, attempt) => (to === address(4) && attempt <= 2 ? 451 : to === address(7) ? 550 : undefined),
    });
    expect(await send()).toMatchObject({ sent: 19, failed: 1, deferred: 0, incomplete: false });
    expect(sink.received(address(4))).toHaveLength(1);
    expect(sink.received(address(7))).toHaveLength(0);
    const log = project.deliveries();
    expect(log.get(address(4))).toMatchObject({ state: 'sent', attempts: 3 });
    expect(log.get(address(7))).toMatchObject({ state: 'failed', last_code: 550 });
    expect(log.get(address(7))?.last_reply).toContain('mailbox unavailable');
    expect(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && [e.email, e.attempt])).toEqual([
      [address(4), 1],
      [address(4), 2],
    ]);

    expect(await send()).toMatchObject({ incomplete: false });
    expect(sink.received(address(7))).toHaveLength(0);
    expect(sink.messages).toHaveLength(19);
  });

  it('leaves a delivery deferred after maxAttempts 4xx replies, reports it incomplete, and a later run delivers it', async () => {
    let serverBusy = true;
    const { sink, project, send } = await setup(5, { rcptReply: (to) => (to === address(2) && serverBusy ? 452 : undefined) });
    const first = await send();
    expect(first).toMatchObject({ deferred: 1, incomplete: true, log: { deferred: 1 } });
    expect(project.deliveries().get(address(2))).toMatchObject({ state: 'deferred', attempts: 3, last_code: 452 });
    // A later run (dispatch from cron) must know when it may try again.
    const [row] = project.sql<{ next_attempt_at: string | null }>('SELECT next_attempt_at FROM deliveries WHERE email = ?', address(2));
    expect(row?.next_attempt_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    serverBusy = false;
    expect(await send()).toMatchObject({ sent: 1, incomplete: false });
    expect(sink.received(address(2))).toHaveLength(1);
    expect(sink.messages).toHaveLength(5);
  });

  it('stops at a wrong password (535) with nothing marked sent, says what to fix without the password, and resumes once it is fixed', async () => {
    const right = await startSmtpSink({ auth: { user: 'editor', password: 'right-password' } });
    cleanups.push(() => right.close());
    const harness = await setup(30);
    harness.reload({ FINTECHWEEKLY_SMTP_URL: `smtp://editor:wrong-secret-pw@127.0.0.1:${right.port}` });
    const error = await failure(harness.send());
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('the SMTP server refused the login');
    expect(error.message).toContain('535');
    expect(error.hint).toContain('FINTECHWEEKLY_SMTP_PASSWORD');
    expect(`${error.message} ${error.hint}`).not.toContain('wrong-secret-pw');
    expect(right.messages).toHaveLength(0);
    expect(harness.project.sql('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state')).toEqual([{ state: 'pending', n: 30 }]);

    // With the right password the same send resumes and delivers to everyone once.
    harness.reload({ FINTECHWEEKLY_SMTP_URL: right.url });
    expect(await harness.send()).toMatchObject({ sent: 30, incomplete: false });
    expect(right.messages).toHaveLength(30);
  });

  it('stops at once when the server is not there (connection refused)', async () => {
    const harness = await setup(3);
    const gone = await startSmtpSink();
    await gone.close();
    harness.reload({ FINTECHWEEKLY_SMTP_URL: `smtp://127.0.0.1:${gone.port}` });
    const error = await failure(harness.send());
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('cannot reach the SMTP server');
    expect(error.hint).toContain('smtp.host');
    expect(harness.project.sql('SELECT state FROM deliveries WHERE state <> ?', 'pending')).toEqual([]);
  });

  it('marks the message whose connection died after DATA unknown; a rerun sends no duplicates; --retry-unknown resends it with the same Message-ID', async () => {
    const { sink, project, send } = await setup(40, { dataReply: (n) => (n === 10 ? 'drop' : undefined) });
    expect(await send()).toMatchObject({ sent: 39, unknown: 1, incomplete: true });
    expect(sink.dropped).toHaveLength(1);
    const lost = sink.dropped[0]!.envelope.to[0] as string;
    expect(project.deliveries().get(lost)?.state).toBe('unknown');

    expect(await send()).toMatchObject({ sent: 0, incomplete: true, log: { unknown: 1 } });
    expect(sink.messages).toHaveLength(39);
    expect([...countsByAddress(sink).values()].every((n) => n === 1)).toBe(true);

    // Asked explicitly, the unknown one is resent with the same Message-ID.
    expect(await send({ retryUnknown: true })).toMatchObject({ sent: 1, incomplete: false });
    expect(sink.received(lost)).toHaveLength(1);
    expect(sink.received(lost)[0]!.parsed!.messageId).toBe(project.deliveries().get(lost)?.message_id);
  });

  it('gives up on a message after smtp.messageTimeoutSeconds: unknown when the server went silent after DATA, deferred before', async () => {
    const { sink, project, send } = await setup(
      8,
      { dataReply: (_n, envelope) => (envelope.to[0] === address(3) ? 'hang' : undefined), rcptReply: (to, attempt) => (to === address(6) && attempt === 1 ? 'hang' : undefined) },
      { smtp: { connections: 2, messageTimeoutSeconds: 1 } },
    );
    expect(await send()).toMatchObject({ sent: 7, unknown: 1, incomplete: true });
    const log = project.deliveries();
    expect(log.get(address(3))).toMatchObject({ state: 'unknown' });
    expect(log.get(address(3))?.last_reply).toContain('no reply within 1 s');
    // The silent RCPT was before DATA: safe to retry, and the retry went through.
    expect(log.get(address(6))).toMatchObject({ state: 'sent', attempts: 2 });
    expect(sink.received(address(6))).toHaveLength(1);
  });

  it('lets only one of two concurrent sends of the same issue run', async () => {
    const harness = await setup(120);
    // A second connection to the same store, as a second process would have.
    const other = openDb(harness.project.db);
    cleanups.push(() => {
      other.close();
    });
    const results = await Promise.allSettled([harness.send(), harness.send({}, { store: sqliteCampaignSource(other) })]);
    const refused = results.filter((r) => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    const error = (refused[0] as PromiseRejectedResult).reason as FintechWeeklyError;
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain(`another send of ${ISSUE} is running`);
    expect(harness.sink.messages).toHaveLength(120);
    expect([...countsByAddress(harness.sink).values()].every((n) => n === 1)).toBe(true);
  });

  it('takes over the lock of a send whose process died', async () => {
    const { sink, project, send } = await setup(3);
    const dead = 2 ** 22 + 12345; // above pid_max on Linux: certainly not running
    project.sql(`INSERT INTO locks (name, pid, host, acquired_at) VALUES ('campaign:${ISSUE}', ${dead}, ?, '2026-01-01T00:00:00Z') RETURNING name`, hostname());
    expect(await send()).toMatchObject({ sent: 3 });
    expect(sink.messages).toHaveLength(3);
    expect(project.sql('SELECT * FROM locks')).toEqual([]);
  });

  it('skips a subscriber who unsubscribes during the run', async () => {
    const hooks: { unsubscribe?: () => void } = {};
    const { sink, project, send } = await setup(100, {
      dataReply: (n) => {
        if (n === 5) hooks.unsubscribe?.();
        return undefined;
      },
    });
    hooks.unsubscribe = () => {
      project.sql(`UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = 'now' WHERE email = ? RETURNING id`, address(90));
    };
    expect(await send()).toMatchObject({ sent: 99, skipped: 1, incomplete: false });
    expect(sink.received(address(90))).toHaveLength(0);
    expect(project.deliveries().get(address(90))).toMatchObject({ state: 'skipped', last_reply: 'subscriber unsubscribed before sending' });
  });

  it('prepares without writing anything: the count, sample recipients and the headers of one message', async () => {
    const { sink, project, prepare } = await setup(12);
    const prepared = await prepare({ dryRun: true });
    expect(prepared).toMatchObject({ recipients: 12, slug: ISSUE, from: 'FinTech Weekly <newsletter@fintechweekly.example>' });
    expect(prepared.sample.map((r) => r.email)).toEqual([address(1), address(2), address(3), address(4), address(5)]);
    expect(prepared.headers).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(prepared.destination).toBe(`smtp://127.0.0.1:${sink.port}`);
    expect(sink.messages).toHaveLength(0);
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
  });

  it('--limit sends to N and a rerun continues with the rest', async () => {
    const { sink, send } = await setup(10);
    expect(await send({ limit: 4 })).toMatchObject({ sent: 4, limited: true, total: 4 });
    expect(sink.messages).toHaveLength(4);
    expect(await send()).toMatchObject({ sent: 6, limited: false });
    expect(sink.messages).toHaveLength(10);
    expect([...countsByAddress(sink).values()].every((n) => n === 1)).toBe(true);
  });

  it('a rerun resumes the list taken by the first run: people who subscribed since do not get the old issue', async () => {
    const { sink, db, send, prepare } = await setup(6);
    await send({ limit: 2 });
    addSubscriber(db, { email: 'latecomer@example.com' });
    const preview = await prepare({ dryRun: true });
    expect(preview.recipients).toBe(4);
    expect(preview.sample.map((r) => r.email)).not.toContain('latecomer@example.com');
    await send();
    expect(sink.messages).toHaveLength(6);
    expect(sink.received('latecomer@example.com')).toHaveLength(0);
  });

  it('--outbox writes one .eml per subscriber without a server and records nothing', async () => {
    const { project, send } = await setup(3, {}, undefined, { noSmtp: true });
    const outbox = path.join(project.dir, 'out');
    expect(await send({ outbox })).toMatchObject({ sent: 3, outbox });
    const files = readdirSync(outbox).sort();
    expect(files).toEqual([`000001-${address(1)}.eml`, `000002-${address(2)}.eml`, `000003-${address(3)}.eml`]);
    const raw = readFileSync(path.join(outbox, files[0] as string), 'latin1');
    expect(raw).toContain(`To: Reader 1 <${address(1)}>`);
    // Quoted-printable stays valid: no body line longer than 76 characters.
    const body = raw.slice(raw.indexOf('\r\n\r\n'));
    expect(body.split('\r\n').filter((line) => line.length > 76)).toEqual([]);
    expect(libqp.decode(raw.split('\r\n\r\n').slice(2).join('\r\n\r\n')).toString('utf8')).toContain('Klarna');
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
  });

  it('without SMTP settings says how to configure them', async () => {
    const { send } = await setup(1, {}, undefined, { noSmtp: true });
    const error = await failure(send());
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('no SMTP server is configured');
    expect(error.hint).toContain('FINTECHWEEKLY_SMTP_URL');
    expect(error.hint).toContain('--outbox');
  });

  it('without FINTECHWEEKLY_UNSUBSCRIBE_SECRET refuses with a clear message', async () => {
    const harness = await setup(2);
    harness.reload({ FINTECHWEEKLY_UNSUBSCRIBE_SECRET: '' });
    const error = await failure(harness.send());
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set');
    expect(harness.sink.messages).toHaveLength(0);
  });

  it('an injected transport and clock: what the run reports is what they saw', async () => {
    const harness = await setup(4);
    let tick = Date.parse('2026-11-27T01:00:00Z');
    const now = () => new Date((tick += 250));
    const sent: string[] = [];
    const report = await harness.send({}, {
      now,
      openTransport: async () => {
        const transport = await openSmtpTransport(resolveSmtpSettings(harness.settings.config, harness.settings.secrets, harness.settings.root));
        return { ...transport, send: (message) => (sent.push(message.envelope.to[0] as string), transport.send(message)), abort: () => transport.abort(), close: () => transport.close() };
      },
    });
    expect(sent.sort()).toEqual([address(1), address(2), address(3), address(4)]);
    expect(report.sent).toBe(4);
    // Every time the run read, from its start to its end, came from the injected clock.
    expect(report.durationMs % 250).toBe(0);
    expect(harness.project.sql<{ sent_at: string }>('SELECT sent_at FROM deliveries').every((r) => r.sent_at.startsWith('2026-11-27T01:'))).toBe(true);
  });
});

describe('sendIssue with DKIM', () => {
  it('signs every message, the List-Unsubscribe headers included, and the signature verifies', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { sink, project, send } = await setup(3, {}, { dkim: { domain: 'fintechweekly.example', selector: 'fw2026', privateKeyPath: 'keys/dkim.pem' } });
    mkdirSync(`${project.dir}/keys`);
    writeFileSync(`${project.dir}/keys/dkim.pem`, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(await send()).toMatchObject({ sent: 3 });
    expect(sink.messages).toHaveLength(3);
    const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const resolver = async (name: string, type: string): Promise<string[][]> => {
      if (type === 'TXT' && name === 'fw2026._domainkey.fintechweekly.example') return [[`v=DKIM1; k=rsa; p=${p}`]];
      throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
    };
    const { dkimVerify } = await import('mailauth');
    for (const message of sink.messages) {
      const signature = header(message, 'DKIM-Signature');
      const signed = /\bh=([^;]+)/.exec(signature)?.[1]?.replace(/\s+/g, '').toLowerCase().split(':') ?? [];
      expect(signed).toEqual(expect.arrayContaining(['from', 'to', 'subject', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']));
      const verified = await dkimVerify(message.raw, { resolver });
      expect((verified.results[0]?.status as { result?: string }).result).toBe('pass');
    }
  });

  it('says which key file it cannot read', async () => {
    const { sink, send } = await setup(1, {}, { dkim: { domain: 'fintechweekly.example', selector: 'fw2026', privateKeyPath: 'keys/missing.pem' } });
    const error = await failure(send());
    expect(error.exitCode).toBe(1);
    expect(error.message).toContain('cannot read the DKIM private key');
    expect(error.hint).toContain('dkim.privateKeyPath');
    expect(sink.messages).toHaveLength(0);
  });
});
