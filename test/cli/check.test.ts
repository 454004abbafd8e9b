import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/check/rules/result.js';
import { checkTools } from '../check/tools.js';
import { addCheckFixtures, SPAMMY } from '../helpers/check-project.js';
import { runCli } from '../helpers/run-cli.js';
import { KLARNA, tempProject, type TempProject } from './build-project.js';

// What each check finds is tested in process (test/app/check-issue.test.ts); here, how the
// command reports it: the JSON, the lines for a person, the exit code, and send's refusal.

const tools = checkTools();
const SECRET = { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: 'check-test-secret-0123456789abcdef' };

interface Report {
  slug: string;
  ok: boolean;
  results: CheckResult[];
  notes: string[];
  screenshots: string[];
}

const projects: TempProject[] = [];
afterAll(() => projects.forEach((p) => p.remove()));

/** A copy of the project with the check fixtures. */
function project(): TempProject {
  const p = addCheckFixtures(tempProject());
  projects.push(p);
  return p;
}

function check(p: TempProject, args: string[], env: NodeJS.ProcessEnv = SECRET): { code: number | null; report: Report; stderr: string; stdout: string } {
  const result = runCli(p.dir, ['check', ...args, '--json'], { env });
  let report: Report;
  try {
    report = JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`check printed no JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { code: result.code, report, stderr: result.stderr, stdout: result.stdout };
}

const byId = (report: Report) => new Map(report.results.map((r) => [r.id, r]));

// SpamAssassin and Chromium take long on a busy machine (two cores shared with other work).
describe.skipIf(tools.skip)(`fintechweekly check with SpamAssassin and Chromium${tools.label}`, { timeout: 180_000 }, () => {
  it('fails a spammy issue on its spam score, naming the rules', () => {
    const { code, report, stdout } = check(project(), [SPAMMY]);
    const spam = byId(report).get('spam');
    expect(spam?.status).toBe('fail');
    expect(spam?.metrics?.score).toBeGreaterThan(2.0);
    expect(spam?.reason).toMatch(/^score \d+\.\d is above the threshold 2\.0: /);
    expect(spam?.reason).toContain('SUBJ_ALL_CAPS');
    expect(report.ok).toBe(false);
    expect(code).toBe(1);
    expect(stdout).not.toBe('');
  });

  it('prints one line per check for a person, the screenshots saved, and a summary', () => {
    const p = project();
    const result = runCli(p.dir, ['check', KLARNA, '--screenshots', 'shots'], { env: SECRET });
    expect(result.code).toBe(0);
    for (const title of ['Structure', 'Size', 'Links and images', 'Spam score', 'Client support', 'Rendering', 'DKIM']) {
      expect(result.stdout).toMatch(new RegExp(`^(PASS|WARN)  ${title} +\\S`, 'm'));
    }
    // --screenshots is read relative to the current folder.
    expect(result.stdout).toContain(`\nscreenshot: shots/${KLARNA}-600px.png\nscreenshot: shots/${KLARNA}-375px.png\n`);
    expect(existsSync(path.join(p.dir, 'shots', `${KLARNA}-375px.png`))).toBe(true);
    expect(result.stdout).toMatch(/^\d passed, \d warnings?, 0 failed$/m);
  });

  it('refuses to send a failing issue unless --force', () => {
    const p = project();
    const refused = runCli(p.dir, ['send', SPAMMY, '--yes', '--outbox', 'out'], { env: { ...SECRET, FINTECHWEEKLY_DB: path.join(p.dir, 'fw.db') } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: not sending ${SPAMMY}: the check failed; nothing was sent\n  Spam score: score `);
    expect(refused.stderr).toContain('--force');
    const forced = runCli(p.dir, ['send', SPAMMY, '--yes', '--outbox', 'out', '--force'], { env: { ...SECRET, FINTECHWEEKLY_DB: path.join(p.dir, 'fw.db') } });
    expect(forced.code).toBe(0);
    expect(forced.stdout + forced.stderr).not.toContain('checking the issue');
  });
});

describe('fintechweekly check without the tools', () => {
  it('uses a throwaway unsubscribe secret when none is set, and says so; looks for the tools on its PATH', () => {
    const { report, stderr } = check(project(), [KLARNA], { PATH: '/nonexistent' });
    expect(byId(report).get('spam')?.reason).toContain('SpamAssassin is not installed');
    expect(report.notes).toEqual([expect.stringContaining('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: this check used a throwaway secret')]);
    expect(stderr).toContain('throwaway secret');
    expect(byId(report).get('structure')?.status).toBe('pass');
  });

  it('names an issue that does not exist', () => {
    const result = runCli(project().dir, ['check', 'no-such-issue'], { env: SECRET });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*no-such-issue/m);
  });
});
