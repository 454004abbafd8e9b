import libqp from 'libqp';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyUnsubscribeToken } from '../../src/core/message/token.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { repo } from '../helpers/run-cli.js';
import { address, ISSUE, SECRET, sendProject, type SendProject } from './send-project.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(subscribers: number, sinkOptions: Parameters<typeof startSmtpSink>[0] = {}, config?: Record<string, Record<string, unknown>>): Promise<{ sink: SmtpSink; project: SendProject }> {
  const sink = await startSmtpSink(sinkOptions);
  cleanups.push(() => sink.close());
  const project = sendProject({ subscribers, smtpUrl: sink.url, config });
  cleanups.push(() => project.remove());
  return { sink, project };
}

/** A header's unfolded value as it was sent (mailparser folds the List-* headers into "list"). */
function header(message: SinkMessage, name: string): string {
  const line = message.parsed?.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** The one token a message carries, from List-Unsubscribe, and where else it appears. */
function tokens(message: SinkMessage): { header: string; html: string[]; text: string[]; raw: string } {
  const fromHeader = /<https:\/\/news\.fintechweekly\.example\/u\/([^>]+)>/.exec(header(message, 'List-Unsubscribe'))?.[1] ?? '';
  const find = (body: string) => [...body.matchAll(/https:\/\/news\.fintechweekly\.example\/u\/([A-Za-z0-9._-]+)/g)].map((m) => m[1] as string);
  return { header: fromHeader, html: find(String(message.parsed?.html ?? '')), text: find(message.parsed?.text ?? ''), raw: message.raw.toString('utf8') };
}

function countsByAddress(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.envelope.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}

describe('send ISSUE (real SMTP server on loopback)', () => {
  it('delivers exactly one multipart/alternative message to each of 200 subscribers, each with their own verified token', async () => {
    const { sink, project } = await setup(200);
    const result = await project.run(['send', ISSUE, '--yes', '--json']);
    expect(result.stderr).not.toContain('error');
    expect(result.stderr).toContain('check passed');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { sent: number; failed: number; deferred: number; unknown: number; skipped: number };
    expect(summary).toMatchObject({ sent: 200, failed: 0, deferred: 0, unknown: 0, skipped: 0 });

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
    const again = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(again.code).toBe(0);
    expect(sink.messages).toHaveLength(200);
  });

  it('retries 451 within the run and delivers; 550 ends failed and is not retried by a rerun', async () => {
    const { sink, project } = await setup(20, {
      rcptReply: (to, attempt) => (to === address(4) && attempt <= 2 ? 451 : to === address(7) ? 550 : undefined),
    });
    const result = await project.run(['send', ISSUE, '--yes', '--force', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ sent: 19, failed: 1, deferred: 0 });
    expect(sink.received(address(4))).toHaveLength(1);
    expect(sink.received(address(7))).toHaveLength(0);
    const log = project.deliveries();
    expect(log.get(address(4))).toMatchObject({ state: 'sent', attempts: 3 });
    expect(log.get(address(7))).toMatchObject({ state: 'failed', last_code: 550 });
    expect(log.get(address(7))?.last_reply).toContain('mailbox unavailable');

    const rerun = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(rerun.code).toBe(0);
    expect(sink.received(address(7))).toHaveLength(0);
    expect(sink.messages).toHaveLength(19);
  });

  it('leaves a delivery deferred after maxAttempts 4xx replies, exits 75, and a later run delivers it', async () => {
    let serverBusy = true;
    const { sink, project } = await setup(5, { rcptReply: (to) => (to === address(2) && serverBusy ? 452 : undefined) });
    const first = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(first.code).toBe(75);
    expect(first.stdout).toContain('1 deferred: run the same command again later');
    expect(project.deliveries().get(address(2))).toMatchObject({ state: 'deferred', attempts: 3, last_code: 452 });
    // A later run (dispatch from cron) must know when it may try again.
    const [row] = project.sql<{ next_attempt_at: string | null }>('SELECT next_attempt_at FROM deliveries WHERE email = ?', address(2));
    expect(row?.next_attempt_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    serverBusy = false;
    const second = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(second.code).toBe(0);
    expect(sink.received(address(2))).toHaveLength(1);
    expect(sink.messages).toHaveLength(5);
  });

  it('stops at a wrong password (535) with nothing marked sent and says what to fix, without printing the password', async () => {
    const sink = await startSmtpSink({ auth: { user: 'editor', password: 'right-password' } });
    cleanups.push(() => sink.close());
    const project = sendProject({ subscribers: 30, smtpUrl: `smtp://editor:wrong-secret-pw@127.0.0.1:${sink.port}` });
    cleanups.push(() => project.remove());
    const result = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the SMTP server refused the login');
    expect(result.stderr).toContain('535');
    expect(result.stderr).toContain('FINTECHWEEKLY_SMTP_PASSWORD');
    expect(result.stderr + result.stdout).not.toContain('wrong-secret-pw');
    expect(sink.messages).toHaveLength(0);
    const states = project.sql<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state');
    expect(states).toEqual([{ state: 'pending', n: 30 }]);

    // With the right password the same command resumes and delivers to everyone once.
    const fixed = await project.run(['send', ISSUE, '--yes', '--force'], { FINTECHWEEKLY_SMTP_URL: sink.url });
    expect(fixed.code).toBe(0);
    expect(sink.messages).toHaveLength(30);
  });

  it('stops at once when the server is not there (connection refused)', async () => {
    const sink = await startSmtpSink();
    const port = sink.port;
    await sink.close();
    const project = sendProject({ subscribers: 3, smtpUrl: `smtp://127.0.0.1:${port}` });
    cleanups.push(() => project.remove());
    const result = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot reach the SMTP server');
    expect(result.stderr).toContain('smtp.host');
    expect(project.sql('SELECT state FROM deliveries WHERE state <> ?', 'pending')).toEqual([]);
  });

  it('marks the message whose connection died after DATA unknown, and a rerun sends no duplicates', async () => {
    const { sink, project } = await setup(40, { dataReply: (n) => (n === 10 ? 'drop' : undefined) });
    const first = await project.run(['send', ISSUE, '--yes', '--force', '--json']);
    expect(first.code).toBe(75);
    expect(JSON.parse(first.stdout)).toMatchObject({ sent: 39, unknown: 1 });
    expect(sink.dropped).toHaveLength(1);
    const lost = sink.dropped[0]!.envelope.to[0] as string;
    expect(project.deliveries().get(lost)?.state).toBe('unknown');

    const rerun = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(rerun.code).toBe(75);
    expect(rerun.stdout).toContain('--retry-unknown');
    expect(sink.messages).toHaveLength(39);
    expect([...countsByAddress(sink).values()].every((n) => n === 1)).toBe(true);

    // Asked explicitly, the unknown one is resent with the same Message-ID.
    const retried = await project.run(['send', ISSUE, '--yes', '--force', '--retry-unknown']);
    expect(retried.code).toBe(0);
    expect(sink.received(lost)).toHaveLength(1);
    expect(sink.received(lost)[0]!.parsed!.messageId).toBe(project.deliveries().get(lost)?.message_id);
  });

  it('gives up on a message after smtp.messageTimeoutSeconds: unknown when the server went silent after DATA, deferred before', async () => {
    const { sink, project } = await setup(
      8,
      { dataReply: (_n, envelope) => (envelope.to[0] === address(3) ? 'hang' : undefined), rcptReply: (to, attempt) => (to === address(6) && attempt === 1 ? 'hang' : undefined) },
      { smtp: { connections: 2, messageTimeoutSeconds: 1 } },
    );
    const result = await project.run(['send', ISSUE, '--yes', '--force', '--json']);
    expect(result.code).toBe(75);
    expect(JSON.parse(result.stdout)).toMatchObject({ sent: 7, unknown: 1 });
    const log = project.deliveries();
    expect(log.get(address(3))).toMatchObject({ state: 'unknown' });
    expect(log.get(address(3))?.last_reply).toContain('no reply within 1 s');
    // The silent RCPT was before DATA: safe to retry, and the retry went through.
    expect(log.get(address(6))).toMatchObject({ state: 'sent', attempts: 2 });
    expect(sink.received(address(6))).toHaveLength(1);
  });

  it('after SIGKILL mid-run, a rerun delivers to everyone exactly once except the deliveries it reports unknown', async () => {
    const hooks: { kill?: () => void } = {};
    const { sink, project } = await setup(150, {
      dataReply: (n) => {
        if (n === 60) hooks.kill?.();
        return undefined;
      },
    });
    const child = project.spawn(['send', ISSUE, '--yes', '--force']);
    hooks.kill = () => child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    expect(child.signalCode).toBe('SIGKILL');
    const beforeRerun = sink.messages.length;
    expect(beforeRerun).toBeLessThan(150);

    const rerun = await project.run(['send', ISSUE, '--yes', '--force', '--json']);
    const summary = JSON.parse(rerun.stdout) as { log: { unknown: number; sent: number } };
    const log = project.deliveries();
    const unknown = [...log].filter(([, d]) => d.state === 'unknown').map(([email]) => email);
    expect(summary.log.unknown).toBe(unknown.length);
    expect(rerun.code).toBe(unknown.length ? 75 : 0);
    expect(rerun.stderr).toContain(unknown.length ? 'interrupted by an earlier run' : '');
    const counts = countsByAddress(sink);
    for (let i = 1; i <= 150; i++) {
      const to = address(i);
      if (unknown.includes(to)) expect(counts.get(to) ?? 0).toBeLessThanOrEqual(1);
      else {
        expect(counts.get(to)).toBe(1);
        expect(log.get(to)?.state).toBe('sent');
      }
    }
  });

  it('lets only one of two concurrent sends of the same issue run', async () => {
    const { sink, project } = await setup(120);
    const [a, b] = await Promise.all([project.run(['send', ISSUE, '--yes', '--force']), project.run(['send', ISSUE, '--yes', '--force'])]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 1]);
    const refused = a.code === 1 ? a : b;
    expect(refused.stderr).toContain('another send of 2026-11-27-klarna-phk-ai-resesi is running');
    expect(sink.messages).toHaveLength(120);
    expect([...countsByAddress(sink).values()].every((n) => n === 1)).toBe(true);
  });

  it('takes over the lock of a send whose process died', async () => {
    const { sink, project } = await setup(3);
    const dead = 2 ** 22 + 12345; // above pid_max on Linux: certainly not running
    const { hostname } = await import('node:os');
    project.sql(`INSERT INTO locks (name, pid, host, acquired_at) VALUES ('campaign:${ISSUE}', ${dead}, ?, '2026-01-01T00:00:00Z') RETURNING name`, hostname());
    const result = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(result.code).toBe(0);
    expect(sink.messages).toHaveLength(3);
    expect(project.sql('SELECT * FROM locks')).toEqual([]);
  });

  it('skips a subscriber who unsubscribes during the run', async () => {
    const hooks: { unsubscribe?: () => void } = {};
    const { sink, project } = await setup(100, {
      dataReply: (n) => {
        if (n === 5) hooks.unsubscribe?.();
        return undefined;
      },
    });
    hooks.unsubscribe = () => {
      project.sql(`UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = 'now' WHERE email = ? RETURNING id`, address(90));
    };
    const result = await project.run(['send', ISSUE, '--yes', '--force', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ sent: 99, skipped: 1 });
    expect(sink.received(address(90))).toHaveLength(0);
    expect(project.deliveries().get(address(90))).toMatchObject({ state: 'skipped', last_reply: 'subscriber unsubscribed before sending' });
  });

  it('without a terminal and without --yes sends nothing and exits 2 saying to add --yes', async () => {
    const { sink, project } = await setup(5);
    const result = await project.run(['send', ISSUE]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--yes');
    expect(sink.messages).toHaveLength(0);
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
  });

  it('--dry-run shows the count, sample recipients and headers and sends nothing', async () => {
    const { sink, project } = await setup(12);
    const result = await project.run(['send', ISSUE, '--dry-run']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('to 12 subscribers');
    expect(result.stdout).toContain(address(1));
    expect(result.stdout).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(result.stdout).toContain('dry run: nothing was sent');
    expect(sink.messages).toHaveLength(0);
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
  });

  it('--limit sends to N and a rerun continues with the rest', async () => {
    const { sink, project } = await setup(10);
    expect((await project.run(['send', ISSUE, '--yes', '--force', '--limit', '4'])).code).toBe(0);
    expect(sink.messages).toHaveLength(4);
    expect((await project.run(['send', ISSUE, '--yes', '--force'])).code).toBe(0);
    expect(sink.messages).toHaveLength(10);
    expect([...countsByAddress(sink).values()].every((n) => n === 1)).toBe(true);
  });

  it('a rerun resumes the list taken by the first run: people who subscribed since do not get the old issue', async () => {
    const { sink, project } = await setup(6);
    expect((await project.run(['send', ISSUE, '--yes', '--force', '--limit', '2'])).code).toBe(0);
    expect((await project.run(['subscribers', 'add', 'latecomer@example.com'])).code).toBe(0);
    const dryRun = await project.run(['send', ISSUE, '--dry-run', '--json']);
    expect(dryRun.stdout).not.toContain('latecomer@example.com');
    expect((await project.run(['send', ISSUE, '--yes', '--force'])).code).toBe(0);
    expect(sink.messages).toHaveLength(6);
    expect(sink.received('latecomer@example.com')).toHaveLength(0);
  });

  it('--test goes only to the test recipients with [TEST] and records nothing', async () => {
    const { sink, project } = await setup(10);
    const result = await project.run(['send', ISSUE, '--test']);
    expect(result.code).toBe(0);
    expect(sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['editor@example.com', 'second.editor@example.com']);
    expect(sink.messages[0]!.parsed!.subject).toBe('[TEST] CEO Klarna Peringatkan Kehilangan Pekerjaan Akibat AI Bisa Memicu Resesi');
    expect(header(sink.messages[0]!, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);

    const to = await project.run(['send', ISSUE, '--test', '--to', 'Someone@Example.com']);
    expect(to.code).toBe(0);
    expect(sink.messages.at(-1)!.envelope.to).toEqual(['someone@example.com']);
  });

  it('--outbox writes one .eml per subscriber without a server and records nothing', async () => {
    const project = sendProject({ subscribers: 3 });
    cleanups.push(() => project.remove());
    const result = await project.run(['send', ISSUE, '--yes', '--force', '--outbox', 'out']);
    expect(result.code).toBe(0);
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = readdirSync(`${project.dir}/out`).sort();
    expect(files).toEqual([`000001-${address(1)}.eml`, `000002-${address(2)}.eml`, `000003-${address(3)}.eml`]);
    const raw = readFileSync(`${project.dir}/out/${files[0]}`, 'latin1');
    expect(raw).toContain(`To: Reader 1 <${address(1)}>`);
    // Quoted-printable stays valid: no body line longer than 76 characters.
    const body = raw.slice(raw.indexOf('\r\n\r\n'));
    expect(body.split('\r\n').filter((line) => line.length > 76)).toEqual([]);
    expect(libqp.decode(raw.split('\r\n\r\n').slice(2).join('\r\n\r\n')).toString('utf8')).toContain('Klarna');
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
  });

  it('without SMTP settings says how to configure them', async () => {
    const project = sendProject({ subscribers: 1 });
    cleanups.push(() => project.remove());
    const result = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no SMTP server is configured');
    expect(result.stderr).toContain('FINTECHWEEKLY_SMTP_URL');
    expect(result.stderr).toContain('--outbox');
  });

  it('without FINTECHWEEKLY_UNSUBSCRIBE_SECRET refuses with a clear message', async () => {
    const { sink, project } = await setup(2);
    const result = await project.run(['send', ISSUE, '--yes', '--force'], { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set');
    expect(sink.messages).toHaveLength(0);
  });
});

describe('send ISSUE with DKIM', () => {
  it('signs every message, the List-Unsubscribe headers included, and the signature verifies', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { writeFileSync } = await import('node:fs');
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { sink, project } = await setup(3, {}, { dkim: { domain: 'fintechweekly.example', selector: 'fw2026', privateKeyPath: 'keys/dkim.pem' } });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(`${project.dir}/keys`);
    writeFileSync(`${project.dir}/keys/dkim.pem`, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const result = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(result.code).toBe(0);
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
    const { sink, project } = await setup(1, {}, { dkim: { domain: 'fintechweekly.example', selector: 'fw2026', privateKeyPath: 'keys/missing.pem' } });
    const result = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot read the DKIM private key');
    expect(result.stderr).toContain('dkim.privateKeyPath');
    expect(sink.messages).toHaveLength(0);
  });
});

describe('send ISSUE on a terminal', () => {
  /** Runs the CLI in a pseudo-terminal (util-linux `script`) and answers the confirmation prompt. */
  async function onTerminal(project: SendProject, smtpUrl: string, answer: 'y' | 'n'): Promise<{ code: number | null; output: string }> {
    const { spawn } = await import('node:child_process');
    const bin = `${repo}/bin/fintechweekly.js`;
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} send ${ISSUE} --force`, '/dev/null'], {
      cwd: project.dir,
      env: { PATH: process.env.PATH, HOME: project.dir, TERM: 'xterm', NO_COLOR: '1', FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, FINTECHWEEKLY_SMTP_URL: smtpUrl },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let answered = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!answered && output.includes('now?')) {
        answered = true;
        child.stdin.write(`${answer}\r`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, output };
  }
  it('shows subject, sender and count, asks, and sends only after yes', async () => {
    const { sink, project } = await setup(4);
    const declined = await onTerminal(project, sink.url, 'n');
    expect(declined.output).toContain('CEO Klarna Peringatkan Kehilangan Pekerjaan');
    expect(declined.output).toContain('from FinTech Weekly <newsletter@fintechweekly.example>');
    expect(declined.output).toContain('to 4 subscribers');
    expect(declined.output).toContain('cancelled: nothing was sent');
    expect(declined.code).toBe(1);
    expect(sink.messages).toHaveLength(0);

    const accepted = await onTerminal(project, sink.url, 'y');
    expect(accepted.code).toBe(0);
    expect(accepted.output).toContain('sent 4, failed 0');
    expect(sink.messages).toHaveLength(4);
  });
});
