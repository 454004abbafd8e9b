import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Delivery, SendLog } from '../../src/delivery/send-log.js';
import { SendRun, type SendRunEvent, type SendRunSettings } from '../../src/delivery/send-run.js';
import { openSmtpTransport, type Transport } from '../../src/delivery/transport.js';
import { sqliteCampaignSource } from '../../src/store/campaign-source.js';
import { openDb, type Db } from '../../src/store/db.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../helpers/smtp-sink.js';

/**
 * The engine on its own: a real SQLite send log, a real SMTP transport to a server on loopback.
 * These are the ways a run ends early, which the use-case tests reach only through a whole send.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const reader = (i: number) => `reader${i}@example.com`;

interface Fixture {
  db: Db;
  log: SendLog;
  sink: SmtpSink;
  transport: Transport;
  events: SendRunEvent[];
  states(): Record<string, number>;
  run(settings?: Partial<SendRunSettings>): SendRun;
}

async function fixture(readers: number, sinkOptions: SmtpSinkOptions, connections = 3): Promise<Fixture> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-send-run-'));
  const db = openDb(path.join(dir, 'fintechweekly.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => {
    db.close();
  });
  const insert = db.prepare(`INSERT INTO subscribers (email, status, created_at, updated_at) VALUES (?, 'active', 'x', 'x')`);
  for (let i = 1; i <= readers; i++) insert.run(reader(i));
  const store = sqliteCampaignSource(db);
  const { log } = store.openCampaign({ slug: 'klarna', issuePath: 'issues/klarna.md', subject: 'Klarna', contentHash: 'h' }, { fromEmail: 'newsletter@fintechweekly.example', retryUnknown: false }, new Date());
  const sink = await startSmtpSink({ parse: false, ...sinkOptions });
  cleanups.push(() => sink.close());
  const transport = await openSmtpTransport({ host: '127.0.0.1', port: sink.port, secure: false, requireTLS: false, verifyCertificate: false, user: undefined, password: undefined, connections, messageTimeoutMs: 30_000, dkim: undefined });
  cleanups.push(() => transport.close());
  const events: SendRunEvent[] = [];
  const compose = (row: Delivery) => ({ envelope: { from: 'newsletter@fintechweekly.example', to: [row.email] }, chunks: [Buffer.from(`Subject: Klarna\r\nMessage-ID: ${row.messageId}\r\n\r\nhello\r\n`)] });
  return {
    db,
    log,
    sink,
    transport,
    events,
    states: () => Object.fromEntries((db.prepare('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state').all() as { state: string; n: number }[]).map((r) => [r.state, r.n])),
    run: (settings = {}) =>
      new SendRun(
        { log, transport, compose, now: () => new Date(), onEvent: (e) => events.push(e) },
        { slug: 'klarna', rate: 100_000, maxAttempts: 3, retryBaseSeconds: 0, retryMaxSeconds: 600, retryUnknown: false, stopGraceMs: 5000, ...settings },
      ),
  };
}

describe('SendRun', () => {
  it('sends the whole list once, settling every reply in the log', async () => {
    const f = await fixture(30, {});
    const result = await f.run().run();
    expect(result).toMatchObject({ counts: { sent: 30, failed: 0, deferred: 0, unknown: 0, skipped: 0 }, total: 30, log: { sent: 30 } });
    expect(result.stopped).toBeUndefined();
    expect(f.sink.messages).toHaveLength(30);
    expect(f.states()).toEqual({ sent: 30 });
  });

  it('stop(): claims nothing more, lets the messages in flight finish with their real outcome, and releases the rest to pending', async () => {
    const hooks: { stop?: () => void } = {};
    const f = await fixture(200, {
      dataReply: (n) => {
        if (n === 20) hooks.stop?.();
        return undefined;
      },
    });
    const run = f.run();
    hooks.stop = () => run.stop('SIGINT');
    const result = await run.run();
    expect(result.stopped).toBe('SIGINT');
    expect(f.events).toContainEqual(expect.objectContaining({ type: 'stopping', reason: 'SIGINT' }));
    // The message whose body had just arrived was answered, and counted as what it was.
    const sent = f.sink.messages.length;
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(sent).toBeLessThan(200);
    expect(result.counts.sent).toBe(sent);
    expect(f.states()).toEqual({ sent, pending: 200 - sent });
    expect(f.db.prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending' AND attempts > 0`).get()).toEqual({ n: 0 });
  });

  it('stop(): a message still unanswered when the wait is over is cut: unknown after DATA, never resent', async () => {
    const hooks: { stop?: () => void } = {};
    const f = await fixture(10, {
      dataReply: (_n, envelope) => {
        if (envelope.to[0] !== reader(2)) return undefined;
        hooks.stop?.();
        return 'hang';
      },
    }, 1);
    const run = f.run({ stopGraceMs: 200 });
    hooks.stop = () => run.stop('SIGTERM');
    const result = await run.run();
    expect(result.stopped).toBe('SIGTERM');
    expect(result.counts.unknown).toBe(1);
    const row = f.db.prepare('SELECT state, last_reply AS reply FROM deliveries WHERE email = ?').get(reader(2)) as { state: string; reply: string };
    expect(row).toMatchObject({ state: 'unknown', reply: expect.stringContaining('may have been delivered') });
    expect(f.states().sending).toBeUndefined();
  });

  it('halt(): a message that has not reached DATA goes back to pending, not unknown', async () => {
    const hooks: { halt?: () => void } = {};
    const f = await fixture(10, {
      rcptReply: (to) => {
        if (to !== reader(4)) return undefined;
        setImmediate(() => hooks.halt?.());
        return 'hang';
      },
    }, 1);
    const run = f.run();
    hooks.halt = () => run.halt('SIGINT');
    const result = await run.run();
    expect(result.stopped).toBe('SIGINT');
    const row = f.db.prepare('SELECT state, attempts FROM deliveries WHERE email = ?').get(reader(4));
    expect(row).toEqual({ state: 'pending', attempts: 0 });
    expect(f.sink.received(reader(4))).toHaveLength(0);
    expect(f.states()).toEqual({ sent: result.counts.sent, pending: 10 - result.counts.sent });
  });

  it('a store that cannot be written stops the run: the messages in flight finish, their states are recorded, and the store\'s error is thrown', async () => {
    const hooks: { fill?: () => void } = {};
    const f = await fixture(400, {
      dataReply: (n) => {
        if (n === 30) hooks.fill?.();
        return undefined;
      },
    });
    // From the 30th message on, the database may not grow: the next commit of results fails.
    hooks.fill = () => f.db.pragma('max_page_count = 1');
    const error = await f.run().run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'SQLITE_FULL' });
    const sent = f.sink.messages.length;
    expect(sent).toBeLessThan(400);
    const states = f.states();
    expect(states.sending).toBeUndefined();
    expect(states.sent).toBe(sent);
  });
});
