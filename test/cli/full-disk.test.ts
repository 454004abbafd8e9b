import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countsByAddress } from '../helpers/sent-messages.js';
import { repo } from '../helpers/run-cli.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { address, ISSUE, sendProject, type SendProject } from './send-project.js';

/**
 * A full disk, as commands that write meet it: SQLite reports SQLITE_FULL (here because every
 * connection the CLI opens may grow by only a few pages, see test/helpers/sqlite-page-limit.mjs),
 * the system ENOSPC. Each is one clear line, exit 1, no stack trace, nothing lost, and the same
 * command completes once there is room again.
 */

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const pageLimit = path.join(repo, 'test/helpers/sqlite-page-limit.mjs');
/** The environment of a CLI process whose database may grow by `pages` pages at most. */
const diskFull = (pages: number): NodeJS.ProcessEnv => ({ NODE_OPTIONS: `--import=${pageLimit}`, FW_TEST_SQLITE_GROWTH_PAGES: String(pages) });

async function setup(subscribers: number): Promise<{ sink: SmtpSink; project: SendProject }> {
  const sink = await startSmtpSink({ parse: false });
  cleanups.push(() => sink.close());
  const project = sendProject({ subscribers, smtpUrl: sink.url });
  cleanups.push(() => project.remove());
  return { sink, project };
}

/** One line on stderr, and no stack trace anywhere. */
function expectOneLine(result: { stdout: string; stderr: string }): string {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(result.stderr + result.stdout).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('unexpected error');
  return lines[0] as string;
}

describe('a full disk (real processes, real SQLite limits, real SMTP server on loopback)', () => {
  it('in the middle of a send: one line saying so, exit 1, every message that went out recorded, and a rerun completes with no duplicate', async () => {
    const readers = 600;
    const { sink, project } = await setup(readers);
    // The first run takes the recipient list and sends a few; the second meets the full disk.
    expect((await project.run(['send', ISSUE, '--yes', '--force', '--limit', '10'])).code).toBe(0);
    const full = await project.run(['send', ISSUE, '--yes', '--force'], diskFull(2));
    expect(full.code).toBe(1);
    expect(expectOneLine(full)).toBe(
      `error: the disk holding ${project.db} is full (SQLITE_FULL); nothing was lost: free some space on it, then run \`fintechweekly send ${ISSUE} --yes --force\` again.`,
    );
    const sentBefore = sink.messages.length;
    expect(sentBefore).toBeGreaterThan(10);
    expect(sentBefore).toBeLessThan(readers);
    // Nothing lost: whoever received the message is recorded as sent, nobody is left in flight.
    const states = project.sql<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM deliveries GROUP BY state ORDER BY state');
    expect(states).toEqual([
      { state: 'pending', n: readers - sentBefore },
      { state: 'sent', n: sentBefore },
    ]);

    const rerun = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(rerun.code).toBe(0);
    const counts = countsByAddress(sink);
    expect(Array.from({ length: readers }, (_, i) => address(i + 1)).filter((to) => counts.get(to) !== 1)).toEqual([]);
    expect(sink.messages).toHaveLength(readers);
  }, 300_000);

  it('while taking the recipient list: one line, nobody mailed, nothing recorded; the rerun sends to everyone once', async () => {
    const readers = 300;
    const { sink, project } = await setup(readers);
    const full = await project.run(['send', ISSUE, '--yes', '--force'], diskFull(0));
    expect(full.code).toBe(1);
    expect(expectOneLine(full)).toContain(`is full (SQLITE_FULL); nothing was lost: free some space on it, then run \`fintechweekly send ${ISSUE} --yes --force\` again.`);
    expect(sink.messages).toHaveLength(0);
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);

    expect((await project.run(['send', ISSUE, '--yes', '--force'])).code).toBe(0);
    expect(sink.messages).toHaveLength(readers);
    expect([...countsByAddress(sink).values()].every((n) => n === 1)).toBe(true);
  }, 300_000);

  it('during subscribers import: one line, the list unchanged; the same import succeeds with room', async () => {
    const project = sendProject({ subscribers: 3 });
    cleanups.push(() => project.remove());
    const before = project.sql<{ email: string; status: string }>('SELECT email, status FROM subscribers ORDER BY id');
    const csv = path.join(project.dir, 'readers.csv');
    writeFileSync(csv, `email,name\n${Array.from({ length: 5000 }, (_, i) => `imported${i}@example.com,Pembaca ${i}`).join('\n')}\n`);
    const full = await project.run(['subscribers', 'import', 'readers.csv'], diskFull(0));
    expect(full.code).toBe(1);
    expect(expectOneLine(full)).toBe(`error: the disk holding ${project.db} is full (SQLITE_FULL); nothing was lost: free some space on it, then run \`fintechweekly subscribers import readers.csv\` again.`);
    expect(project.sql('SELECT email, status FROM subscribers ORDER BY id')).toEqual(before);

    const again = await project.run(['subscribers', 'import', 'readers.csv']);
    expect(again.code).toBe(0);
    expect(project.sql<{ n: number }>('SELECT COUNT(*) AS n FROM subscribers')).toEqual([{ n: 5003 }]);
  }, 300_000);

  // A real full (and read-only) file system for dist/: a small tmpfs, which needs the right to mount.
  const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;
  it.skipIf(!canMount)('build into a dist/ on a full or a read-only file system: one line each, exit 1, the previous build left as it was', async () => {
    const project = sendProject({ subscribers: 1 });
    cleanups.push(() => project.remove());
    const dist = path.join(project.dir, 'dist');
    mkdirSync(dist);
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dist]).status !== 0) return; // no right to mount here after all
    cleanups.push(() => {
      spawnSync('umount', [dist]);
    });
    expect((await project.run(['build', ISSUE])).code).toBe(0);
    const html = path.join(dist, ISSUE, 'email.html');
    const previous = readFileSync(html, 'utf8');
    // The issue changes, so the next build has to write; the disk has no room left.
    const issue = path.join(project.dir, 'issues', `${ISSUE}.md`);
    writeFileSync(issue, `${readFileSync(issue, 'utf8')}\nSatu paragraf lagi.\n`);
    const { bavail, bsize } = statfsSync(dist);
    writeFileSync(path.join(dist, 'filler'), Buffer.alloc(bavail * bsize));
    const full = await project.run(['build', ISSUE]);
    expect(full.code).toBe(1);
    expect(expectOneLine(full)).toBe(`error: the disk holding ${path.join(dist, ISSUE)} is full (ENOSPC); nothing was lost: free some space on it, then run \`fintechweekly build ${ISSUE}\` again.`);
    expect(readFileSync(html, 'utf8')).toBe(previous);

    rmSync(path.join(dist, 'filler'));
    expect(spawnSync('mount', ['-o', 'remount,ro', dist]).status).toBe(0);
    const readOnly = await project.run(['build', ISSUE]);
    expect(readOnly.code).toBe(1);
    expect(expectOneLine(readOnly)).toBe(`error: ${path.join(dist, ISSUE)} is read-only (EROFS); nothing was lost: make it writable, then run \`fintechweekly build ${ISSUE}\` again.`);
    expect(readFileSync(html, 'utf8')).toBe(previous);
  }, 120_000);
});
