import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repo } from '../helpers/run-cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'fw-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [path.join(repo, 'bin/fintechweekly.js'), ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

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
});
