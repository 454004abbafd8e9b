import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImapFlow } from 'imapflow';
import { stringify } from 'yaml';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/store/db.js';
import { assertBuilt, repo, runCli } from '../helpers/run-cli.js';
import { BOUNCE_ADDRESS, DOVECOT, EXIM, missingServer, POSTFIX } from '../helpers/mail-servers.js';

/**
 * The bounce path end to end with real servers: the built CLI sends an issue through a real MTA
 * (Postfix, then Exim) with each delivery's VERP address as envelope sender; the MTA's own DSNs
 * come back to that address and land in its Maildir; `bounces scan` reads them and acts. And the
 * IMAP path against a real Dovecot: processed messages flagged or moved, never deleted.
 */
const ISSUE = '2026-11-27-klarna-phk-ai-resesi';
// Each run its own secret: the shared Maildirs keep earlier runs' bounces, whose tokens must not match this run's deliveries.
// (Message-IDs, the fallback match, are random per delivery: earlier runs' cannot match this run's either.)
const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const SECRET = `test-secret-${RUN}`;
const FROM = `newsletter@run-${RUN}.fintechweekly.example`;
const READERS = ['reader1@hard.fw.test', 'reader2@soft.fw.test', 'reader3@ok.fw.test'];

interface Scanned {
  file: string;
  kind: string;
  recipients: { address: string; status: string; class: string; reason: string; diagnostic: string }[];
  delivery: { issue: string; address: string } | null;
}

function project(config: Record<string, unknown> = {}) {
  assertBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bounces-cli-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'issues'));
  cpSync(path.join(repo, 'issues', `${ISSUE}.md`), path.join(dir, 'issues', `${ISSUE}.md`));
  writeFileSync(path.join(dir, 'fintechweekly.config.yaml'), stringify({ sender: { fromName: 'FinTech Weekly', fromEmail: FROM }, smtp: { connections: 1 }, bounce: { address: BOUNCE_ADDRESS, ...config } }));
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, FINTECHWEEKLY_DB: path.join(dir, 'fintechweekly.db'), ...extra });
  const cli = (args: string[], extra?: NodeJS.ProcessEnv) => runCli(dir, args, { env: env(extra) });
  const status = (email: string) => {
    const db = openDb(path.join(dir, 'fintechweekly.db'));
    try {
      return db.prepare('SELECT status, status_reason FROM subscribers WHERE email = ?').get(email) as { status: string; status_reason: string | null };
    } finally {
      db.close();
    }
  };
  const sql = <T>(query: string): T[] => {
    const db = openDb(path.join(dir, 'fintechweekly.db'));
    try {
      return db.prepare(query).all() as T[];
    } finally {
      db.close();
    }
  };
  return { dir, cli, status, sql, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Waits until `count` messages naming these VERP tokens are in the Maildir's new/ folder; returns their files. */
async function waitForBounces(maildir: string, tokens: string[], count: number): Promise<string[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const dir = path.join(maildir, 'new');
    const files = existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];
    const ours = files.filter((f) => tokens.some((t) => readFileSync(f, 'latin1').includes(t)));
    if (ours.length >= count) return ours;
    if (Date.now() > deadline) throw new Error(`only ${ours.length} of ${count} bounces arrived in ${maildir} within 60 s`);
    await sleep(250);
  }
}

async function tokensOf(p: ReturnType<typeof project>): Promise<string[]> {
  const { createVerpToken } = await import('../../src/core/message/verp.js');
  return p.sql<{ id: number; email: string }>('SELECT id, email FROM deliveries ORDER BY id').map((r) => `bounces+${createVerpToken(SECRET, r.id, r.email)}@`);
}

for (const mta of [
  { name: 'Postfix', server: POSTFIX },
  { name: 'Exim', server: EXIM },
]) {
  const missing = await missingServer(mta.name, mta.server.port);
  describe.skipIf(missing !== undefined)(`bounces scan of ${mta.name}'s real DSNs${missing ? ` (skipped: ${missing})` : ''}`, () => {
    const p = project();
    afterAll(() => p.remove());
    let sent: ReturnType<typeof p.cli>;
    let files: string[] = [];

    beforeAll(async () => {
      for (const email of READERS) expect(p.cli(['subscribers', 'add', email]).code).toBe(0);
      sent = p.cli(['send', ISSUE, '--yes', '--force', '--json'], { FINTECHWEEKLY_SMTP_URL: `smtp://127.0.0.1:${mta.server.port}` });
      expect(sent.code, sent.stderr).toBe(0);
      files = await waitForBounces(mta.server.maildir, await tokensOf(p), 1);
    });

    it('sends with each delivery VERP-addressed: the bounce comes back to bounces+<token>@ and the header From is unchanged', () => {
      expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 3, failed: 0 });
      const text = files.map((f) => readFileSync(f, 'latin1')).join('\n');
      expect(text).toMatch(/^(?:Delivered-To|Envelope-to): bounces\+[0-9a-z]+-[a-z2-7]{16}@bounces\.fw\.test/im);
      expect(text).toContain(`From: FinTech Weekly <${FROM}>`);
    });

    it('scans the Maildir: reader1 hard-bounced, reader2 counted soft (mailbox full), reader3 untouched; a rescan changes nothing', () => {
      const dryRun = p.cli(['bounces', 'scan', mta.server.maildir, '--dry-run', '--json']);
      expect(dryRun.code, dryRun.stderr).toBe(0);
      expect(p.sql('SELECT * FROM bounce_events')).toEqual([]);
      expect(p.status('reader1@hard.fw.test').status).toBe('active');

      const run = p.cli(['bounces', 'scan', mta.server.maildir, '--json']);
      expect(run.code, run.stderr).toBe(0);
      const results = JSON.parse(run.stdout) as Scanned[];
      for (const r of results) expect(Object.keys(r)).toEqual(['file', 'kind', 'recipients', 'delivery']);
      const ours = results.filter((r) => r.delivery !== null);
      const byAddress = new Map(ours.flatMap((r) => r.recipients.map((x) => [x.address, { ...x, delivery: r.delivery }] as const)));
      expect(byAddress.get('reader1@hard.fw.test')).toMatchObject({ class: 'hard', status: '5.1.1', reason: 'user-unknown', delivery: { issue: ISSUE, address: 'reader1@hard.fw.test' } });
      expect(byAddress.get('reader2@soft.fw.test')).toMatchObject({ class: 'soft', reason: 'mailbox-full' });
      expect(p.status('reader1@hard.fw.test')).toEqual({ status: 'bounced', status_reason: 'hard-bounce' });
      expect(p.status('reader2@soft.fw.test').status).toBe('active');
      expect(p.status('reader3@ok.fw.test').status).toBe('active');
      const events = p.sql('SELECT address, class, decision FROM bounce_events ORDER BY address');
      expect(events).toEqual([
        { address: 'reader1@hard.fw.test', class: 'hard', decision: 'bounced' },
        { address: 'reader2@soft.fw.test', class: 'soft', decision: 'counted' },
      ]);
      // Other projects' bounces in the shared Maildir are reported as unmatched and change nothing.
      expect(results.every((r) => r.delivery !== null || r.kind !== 'bounce' || /matches no delivery/.test(run.stderr))).toBe(true);

      const again = p.cli(['bounces', 'scan', mta.server.maildir]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/0 set to bounced, 0 unsubscribed by complaint, 0 soft bounces counted, [1-9]\d* already recorded/);
      expect(p.sql('SELECT address, class, decision FROM bounce_events ORDER BY address')).toEqual(events);
      // Never deleted: every file is still there.
      for (const f of files) expect(existsSync(f)).toBe(true);
    });
  });
}

const imapMissing = await missingServer('Dovecot (IMAP)', DOVECOT.port);
describe.skipIf(imapMissing !== undefined)(`bounces scan imaps:// against a real Dovecot${imapMissing ? ` (skipped: ${imapMissing})` : ''}`, () => {
  const connect = async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: DOVECOT.port, secure: true, auth: { user: DOVECOT.user, pass: DOVECOT.password }, tls: { rejectUnauthorized: false }, logger: false });
    await client.connect();
    return client;
  };
  const dsn = (verp: string, email: string, messageId: string) =>
    [
      `Delivered-To: ${verp}`,
      'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
      `To: ${verp}`,
      'Subject: Undelivered Mail Returned to Sender',
      `Message-ID: <${messageId}@mx.example.net>`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      `<${email}>: 550 5.1.1 user unknown`,
      '--b',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      `Final-Recipient: rfc822; ${email}`,
      'Action: failed',
      'Status: 5.1.1',
      'Diagnostic-Code: smtp; 550 5.1.1 <x>: Recipient address rejected: User unknown',
      '--b--',
      '',
    ].join('\r\n');

  async function setup(config: Record<string, unknown>) {
    const p = project(config);
    for (const email of ['imap.gone@example.com', 'imap.stays@example.com']) expect(p.cli(['subscribers', 'add', email]).code).toBe(0);
    // An issue "sent" straight into the store; the VERP tokens are the ones the engine would use.
    const { createVerpToken, verpAddress } = await import('../../src/core/message/verp.js');
    const db = openDb(path.join(p.dir, 'fintechweekly.db'));
    let verp: string;
    try {
      const at = new Date().toISOString();
      db.prepare(`INSERT INTO campaigns (slug, issue_path, subject, status, created_at, updated_at) VALUES ('imap-issue', 'issues/imap-issue.md', 's', 'done', ?, ?)`).run(at, at);
      db.prepare(`INSERT INTO deliveries (campaign_id, subscriber_id, email, state, message_id, created_at, updated_at) SELECT 1, id, email, 'sent', '<m.' || id || '@fintechweekly.example>', ?, ? FROM subscribers ORDER BY id`).run(at, at);
      const { id } = db.prepare(`SELECT id FROM deliveries WHERE email = 'imap.gone@example.com'`).get() as { id: number };
      verp = verpAddress(BOUNCE_ADDRESS, createVerpToken(SECRET, id, 'imap.gone@example.com'));
    } finally {
      db.close();
    }
    const folder = `Test-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const client = await connect();
    await client.mailboxCreate(folder);
    await client.append(folder, dsn(verp, 'imap.gone@example.com', `${folder}.1`));
    await client.append(folder, `From: reader@example.com\r\nTo: newsletter@fintechweekly.example\r\nSubject: Re: hello\r\nMessage-ID: <${folder}.2@example.com>\r\n\r\nThanks!\r\n`);
    await client.append(folder, dsn(BOUNCE_ADDRESS, 'never.mailed@example.com', `${folder}.3`));
    await client.logout();
    const env = { FINTECHWEEKLY_IMAP_PASSWORD: DOVECOT.password };
    const url = `imaps://${DOVECOT.user}@127.0.0.1:${DOVECOT.port}/${folder}`;
    return { p, folder, url, env };
  }

  async function flagsIn(folder: string): Promise<{ uid: number; flags: string[] }[]> {
    const client = await connect();
    try {
      const lock = await client.getMailboxLock(folder);
      try {
        const list = await client.fetchAll('1:*', { uid: true, flags: true });
        return list.map((m) => ({ uid: m.uid, flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort() }));
      } catch {
        return [];
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  }

  it('flags what it processed, never deletes, reads flagged messages only once; --dry-run flags nothing', async () => {
    const { p, folder, url, env } = await setup({});
    try {
      const dry = p.cli(['bounces', 'scan', url, '--dry-run', '--json'], env);
      expect(dry.code, dry.stderr).toBe(0);
      expect((JSON.parse(dry.stdout) as Scanned[]).map((r) => [r.file, r.kind])).toEqual([
        ['uid 1', 'bounce'],
        ['uid 2', 'other'],
        ['uid 3', 'bounce'],
      ]);
      expect((await flagsIn(folder)).map((m) => m.flags)).toEqual([[], [], []]);
      expect(p.status('imap.gone@example.com').status).toBe('active');

      const run = p.cli(['bounces', 'scan', url, '--json'], env);
      expect(run.code, run.stderr).toBe(0);
      const results = JSON.parse(run.stdout) as Scanned[];
      expect(results.map((r) => r.delivery)).toEqual([{ issue: 'imap-issue', address: 'imap.gone@example.com' }, null, null]);
      expect(run.stderr).toMatch(/uid 3: bounce for never\.mailed@example\.com matches no delivery of ours/);
      expect(p.status('imap.gone@example.com')).toEqual({ status: 'bounced', status_reason: 'hard-bounce' });
      expect(p.status('imap.stays@example.com').status).toBe('active');
      expect((await flagsIn(folder)).map((m) => m.flags)).toEqual([['$FintechWeeklyScanned'], ['$FintechWeeklyScanned'], ['$FintechWeeklyScanned']]);

      const again = p.cli(['bounces', 'scan', url, '--json'], env);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual([]);
      expect(await flagsIn(folder)).toHaveLength(3);
    } finally {
      p.remove();
    }
  });

  it('with bounce.processedFolder, moves processed messages there (created if missing), and nothing is lost', async () => {
    const processed = `Processed-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    const { p, folder, url, env } = await setup({ processedFolder: processed });
    try {
      const run = p.cli(['bounces', 'scan', url], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/scanned 3 messages .*1 set to bounced/);
      expect(await flagsIn(folder)).toEqual([]);
      const moved = await flagsIn(processed);
      expect(moved).toHaveLength(3);
      for (const m of moved) expect(m.flags).toContain('$FintechWeeklyScanned');
    } finally {
      p.remove();
    }
  });

  it('a wrong password is one clear error naming the mailbox', async () => {
    const p = project();
    try {
      const run = p.cli(['bounces', 'scan', `imaps://${DOVECOT.user}@127.0.0.1:${DOVECOT.port}/INBOX`], { FINTECHWEEKLY_IMAP_PASSWORD: 'wrong' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: cannot read imaps:\/\/bounces@127\.0\.0\.1:10993\/INBOX: .*/m);
      expect(run.stderr).not.toContain('wrong');
      const none = p.cli(['bounces', 'scan', `imaps://${DOVECOT.user}@127.0.0.1:${DOVECOT.port}/INBOX`]);
      expect(none.stderr).toMatch(/FINTECHWEEKLY_IMAP_PASSWORD is not set/);
    } finally {
      p.remove();
    }
  });
});
