import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/check/rules/result.js';
import { checkTools } from '../check/tools.js';
import { repo, runCli } from '../helpers/run-cli.js';
import { KLARNA, tempProject, type TempProject } from './build-project.js';

const tools = checkTools();
const SECRET = { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: 'check-test-secret-0123456789abcdef' };
const LONG = '2026-12-18-laporan-akhir-tahun';
const SPAMMY = '2026-12-01-spammy';
const fixtures = path.join(repo, 'test/fixtures/check');

interface Report {
  slug: string;
  ok: boolean;
  results: CheckResult[];
  notes: string[];
  screenshots: string[];
}

const projects: TempProject[] = [];
afterAll(() => projects.forEach((p) => p.remove()));

/** A copy of the project with the check fixtures and a DKIM key pair, configured as a sender would. */
function project(options: { dkim?: 'matching' | 'other-key' } = {}): TempProject {
  const p = tempProject();
  projects.push(p);
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.md'))) copyFileSync(path.join(fixtures, file), path.join(p.dir, 'issues', file));
  if (options.dkim) {
    const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signing = key();
    const published = options.dkim === 'matching' ? signing : key();
    p.write('keys/dkim-private.pem', signing.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    p.write('keys/dkim-public.pem', published.publicKey.export({ type: 'spki', format: 'pem' }));
    const config = readFileSync(path.join(p.dir, 'fintechweekly.config.yaml'), 'utf8');
    p.write('fintechweekly.config.yaml', `${config}\ndkim:\n  domain: fintechweekly.example\n  selector: fw2026\n  privateKeyPath: keys/dkim-private.pem\n  publicKeyPath: keys/dkim-public.pem\n`);
  }
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
const pngWidth = (file: string) => readFileSync(file).readUInt32BE(16);

describe.skipIf(tools.skip)(`fintechweekly check with SpamAssassin and Chromium${tools.label}`, () => {
  it('passes every check on the Klarna issue, DKIM-signed, and saves both screenshots', () => {
    const p = project({ dkim: 'matching' });
    const { code, report, stderr } = check(p, [KLARNA, '--screenshots', 'shots']);
    const results = byId(report);
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    for (const id of ['structure', 'size', 'links', 'spam', 'rendering', 'dkim'] as const) {
      expect({ id, status: results.get(id)?.status, reason: results.get(id)?.reason }).toMatchObject({ id, status: 'pass' });
    }
    expect(results.get('spam')?.metrics?.score).toBeLessThanOrEqual(2.0);
    expect(results.get('dkim')?.reason).toBe('signed d=fintechweekly.example s=fw2026; verifies against the public key in keys/dkim-public.pem');
    // Client support may only warn: gaps in mail clients degrade a design, they do not lose mail.
    expect(['pass', 'warn']).toContain(results.get('client-support')?.status);
    // Offline by default: no DNS lookups unless --dns.
    expect(results.has('dns')).toBe(false);
    expect(report.screenshots).toEqual([path.join(p.dir, 'shots', `${KLARNA}-600px.png`), path.join(p.dir, 'shots', `${KLARNA}-375px.png`)]);
    expect(report.screenshots.map(pngWidth)).toEqual([600, 375]);
    expect(stderr).not.toContain('throwaway secret');
  });

  it('passes a long issue with a wide table and a very long URL at both widths', () => {
    const { code, report } = check(project(), [LONG]);
    const rendering = byId(report).get('rendering');
    expect(rendering?.status).not.toBe('fail');
    expect(rendering?.findings.filter((f) => f.message.includes('scrolls sideways'))).toEqual([]);
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(code).toBe(0);
  });

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

  it('honours check.spamThreshold from the config', () => {
    const p = project();
    const config = readFileSync(path.join(p.dir, 'fintechweekly.config.yaml'), 'utf8');
    p.write('fintechweekly.config.yaml', `${config}\ncheck:\n  spamThreshold: 50\n`);
    const { report } = check(p, [SPAMMY]);
    expect(byId(report).get('spam')?.status).toBe('pass');
    expect(byId(report).get('spam')?.reason).toMatch(/\(threshold 50\.0\)/);
  });

  it('fails DKIM when the configured public key does not match the signing key', () => {
    const { code, report } = check(project({ dkim: 'other-key' }), [KLARNA]);
    const dkim = byId(report).get('dkim');
    expect(dkim?.status).toBe('fail');
    expect(dkim?.reason).toMatch(/^signature d=fintechweekly\.example s=fw2026 does not verify against the public key in keys\/dkim-public\.pem/);
    expect(code).toBe(1);
  });

  it('prints one line per check for a person, and a summary', () => {
    const p = project();
    const result = runCli(p.dir, ['check', KLARNA], { env: SECRET });
    expect(result.code).toBe(0);
    for (const title of ['Structure', 'Size', 'Links and images', 'Spam score', 'Client support', 'Rendering', 'DKIM']) {
      expect(result.stdout).toMatch(new RegExp(`^(PASS|WARN)  ${title} +\\S`, 'm'));
    }
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
  it('warns that the spam score and rendering were not checked, and how to install the tools', () => {
    // PATH without spamassassin or chromium (the CLI runs on process.execPath, not from PATH).
    const { code, report } = check(project(), [KLARNA], { ...SECRET, PATH: '/nonexistent' });
    const results = byId(report);
    expect(results.get('spam')).toMatchObject({ status: 'warn', reason: 'not scored: SpamAssassin is not installed (Debian/Ubuntu: sudo apt-get install spamassassin)' });
    expect(results.get('rendering')).toMatchObject({ status: 'warn', reason: 'not rendered: Chromium is not installed (Debian/Ubuntu: sudo apt-get install chromium)' });
    expect(code).toBe(0);
  });

  it('uses a throwaway unsubscribe secret when none is set, and says so', () => {
    const { report, stderr } = check(project(), [KLARNA], { PATH: '/nonexistent' });
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
