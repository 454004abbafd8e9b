import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { projectDir, repo, runCli } from '../helpers/run-cli.js';
import { recordSend } from '../helpers/send-log.js';

const dir = projectDir('fw-cli-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(dir, args, { env });

describe('the fintechweekly command', () => {
  it("--version prints fintechweekly's own version, even when run by npm inside another package", () => {
    const { version } = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { version: string };
    // npm sets npm_package_version to the version of the package whose script is running.
    const result = run(['--version'], { npm_package_version: '9.9.9' });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('lists every command in --help, and a usage error exits 2 with one message', () => {
    const help = run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['new', 'build', 'check', 'send', 'preview', 'status', 'subscribers', 'schedule', 'dispatch', 'serve']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    const unknown = run(['build', '--no-such-flag']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--no-such-flag'");
    expect(run(['send']).code).toBe(2);
  });

  it('--help, status, subscribers list and schedule list load neither MJML, the check tools nor nodemailer', () => {
    cpSync(path.join(repo, 'issues'), path.join(dir, 'issues'), { recursive: true });
    recordSend(path.join(dir, 'store', 'fintechweekly.db'), 'klarna', 'issues/2026-11-27-klarna-phk-ai-resesi.md');
    const heavy = /\/node_modules\/(mjml[^/]*|nodemailer|playwright-core|doiuse-email|mailauth)\/|\/src\/check\/tools\//;
    for (const args of [['--help'], ['status', 'klarna'], ['subscribers', 'list'], ['schedule', 'list']]) {
      const result = runCli(dir, args, { recordModules: true });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.modules.some((url) => url.endsWith('/src/cli/main.ts')), args.join(' ')).toBe(true);
      expect(result.modules.filter((url) => heavy.test(url)), args.join(' ')).toEqual([]);
    }
  });

  it("prints an unexpected error's stack with the TypeScript files and lines it passed through, although the CLI runs as a bundle", () => {
    // A database that claims the current schema but has no tables: a bug-shaped failure inside the store.
    const db = new Database(path.join(dir, 'hollow.db'));
    db.pragma(`user_version = ${MIGRATIONS.length}`);
    db.close();
    const result = run(['subscribers', 'list'], { FINTECHWEEKLY_DB: path.join(dir, 'hollow.db') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('unexpected error (this is a bug in fintechweekly; please report it)');
    expect(result.stderr).toContain('no such table');
    const frames = result.stderr.split('\n').filter((line) => line.trimStart().startsWith('at '));
    expect(frames.some((line) => line.includes(`${path.join(repo, 'src', 'store', 'subscribers.ts')}:`))).toBe(true);
    expect(frames.some((line) => line.includes(`${path.join(repo, 'src', 'cli', 'subscribers.ts')}:`))).toBe(true);
    expect(frames.filter((line) => line.includes(path.join(repo, 'lib')))).toEqual([]);
  });
});
