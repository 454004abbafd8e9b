import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { countsByAddress } from '../helpers/sent-messages.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { repo } from '../helpers/run-cli.js';
import { address, ISSUE, SECRET, sendProject, type SendProject } from './send-project.js';

/**
 * `send` as an editor or a script runs it: arguments, exit codes, what it prints, real processes.
 * What a send does (who receives what, retries, the send log) is tested in process in
 * test/app/send-issue.test.ts.
 */

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

describe('send ISSUE (real SMTP server on loopback)', () => {
  it('runs the check first, prints the summary as JSON with --json and exits 0; a rerun sends nothing again', async () => {
    const { sink, project } = await setup(3);
    const result = await project.run(['send', ISSUE, '--yes', '--json']);
    expect(result.stderr).not.toContain('error');
    expect(result.stderr).toContain('check passed');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { sent: number; failed: number; deferred: number; unknown: number; skipped: number };
    expect(summary).toMatchObject({ sent: 3, failed: 0, deferred: 0, unknown: 0, skipped: 0, incomplete: false, log: { sent: 3 } });
    expect(sink.messages).toHaveLength(3);

    const again = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${ISSUE}: sent 0, failed 0, deferred 0, unknown 0, skipped 0 in `);
    expect(sink.messages).toHaveLength(3);
  }, 180_000); // the check runs SpamAssassin and Chromium, which take long on a busy machine

  it('exits 75 when deliveries are left deferred or unknown, and says what to do about each', async () => {
    const { sink, project } = await setup(5, {
      rcptReply: (to) => (to === address(2) ? 452 : undefined),
      dataReply: (_n, envelope) => (envelope.to[0] === address(4) ? 'drop' : undefined),
    });
    const first = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(first.code).toBe(75);
    expect(first.stdout).toContain('sent 3, failed 0, deferred 1, unknown 1, skipped 0');
    expect(first.stdout).toContain('1 deferred: run the same command again later');
    expect(first.stdout).toContain('1 unknown (may have been delivered)');
    expect(first.stdout).toContain('--retry-unknown');
    expect(sink.messages).toHaveLength(3);
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

  it('--test --to sends the [TEST] message to that address only, lower-cased', async () => {
    const { sink, project } = await setup(10);
    const to = await project.run(['send', ISSUE, '--test', '--to', 'Someone@Example.com']);
    expect(to.code).toBe(0);
    expect(to.stdout).toContain('sent "[TEST] CEO Klarna');
    expect(sink.messages.map((m) => m.envelope.to)).toEqual([['someone@example.com']]);
    expect(sink.messages[0]!.parsed!.subject).toBe('[TEST] CEO Klarna Peringatkan Kehilangan Pekerjaan Akibat AI Bisa Memicu Resesi');
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
  });

  it('--outbox DIR writes the messages there without a server and says so', async () => {
    const project = sendProject({ subscribers: 2 });
    cleanups.push(() => project.remove());
    const result = await project.run(['send', ISSUE, '--yes', '--force', '--outbox', 'out']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote 2 messages to ${project.dir}/out`);
    expect(readdirSync(`${project.dir}/out`).sort()).toEqual([`000001-${address(1)}.eml`, `000002-${address(2)}.eml`]);
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);
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
