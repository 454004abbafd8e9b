import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkIssue, type CheckIssueReport } from '../../src/app/check-issue.js';
import { checkTools } from '../check/tools.js';
import { addCheckFixtures, LONG, SPAMMY } from '../helpers/check-project.js';
import { KLARNA, settingsOf, tempProject, type TempProject } from '../helpers/temp-project.js';

const tools = checkTools();
const SECRET = { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: 'check-test-secret-0123456789abcdef' };

const projects: TempProject[] = [];
afterAll(() => projects.forEach((p) => p.remove()));

function project(options: { dkim?: 'matching' | 'other-key' } = {}): TempProject {
  const p = addCheckFixtures(tempProject(), options);
  projects.push(p);
  return p;
}

/** `check REF` in process; `path` is the PATH the tools are looked for on. */
async function check(p: TempProject, ref: string, options: { screenshots?: string; path?: string; secret?: boolean } = {}): Promise<{ report: CheckIssueReport; steps: string[] }> {
  const steps: string[] = [];
  const settings = settingsOf(p.dir, options.secret === false ? {} : SECRET);
  const report = await checkIssue(
    settings,
    { ref, screenshotsDir: options.screenshots && path.join(p.dir, options.screenshots), dns: false },
    { env: { PATH: options.path ?? process.env.PATH, HOME: p.dir }, now: () => new Date(), onStep: (step) => steps.push(step) },
  );
  return { report, steps };
}

const byId = (report: CheckIssueReport) => new Map(report.results.map((r) => [r.id, r]));
const pngWidth = (file: string) => readFileSync(file).readUInt32BE(16);

// SpamAssassin and Chromium take long on a busy machine (two cores shared with other work).
describe.skipIf(tools.skip)(`checkIssue with SpamAssassin and Chromium${tools.label}`, { timeout: 180_000 }, () => {
  it('passes every check on the Klarna issue, DKIM-signed, and saves both screenshots', async () => {
    const p = project({ dkim: 'matching' });
    const { report, steps } = await check(p, KLARNA, { screenshots: 'shots' });
    const results = byId(report);
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
    for (const id of ['structure', 'size', 'links', 'spam', 'rendering', 'dkim'] as const) {
      expect({ id, status: results.get(id)?.status, reason: results.get(id)?.reason }).toMatchObject({ id, status: 'pass' });
    }
    expect(results.get('spam')?.metrics?.score).toBeLessThanOrEqual(2.0);
    expect(results.get('dkim')?.reason).toBe('signed d=fintechweekly.example s=fw2026; verifies against the public key in keys/dkim-public.pem');
    // Client support may only warn: gaps in mail clients degrade a design, they do not lose mail.
    expect(['pass', 'warn']).toContain(results.get('client-support')?.status);
    // Offline by default: no DNS lookups unless asked.
    expect(results.has('dns')).toBe(false);
    expect(report.screenshots).toEqual([path.join(p.dir, 'shots', `${KLARNA}-600px.png`), path.join(p.dir, 'shots', `${KLARNA}-375px.png`)]);
    expect(report.screenshots.map(pngWidth)).toEqual([600, 375]);
    expect(report.notes).toEqual([]);
    expect(steps[0]).toBe('building and composing the message');
  });

  it('passes a long issue with a wide table and a very long URL at both widths', async () => {
    const { report } = await check(project(), LONG);
    const rendering = byId(report).get('rendering');
    expect(rendering?.status).not.toBe('fail');
    expect(rendering?.findings.filter((f) => f.message.includes('scrolls sideways'))).toEqual([]);
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('honours check.spamThreshold from the config', async () => {
    const p = project();
    const config = readFileSync(path.join(p.dir, 'fintechweekly.config.yaml'), 'utf8');
    p.write('fintechweekly.config.yaml', `${config}\ncheck:\n  spamThreshold: 50\n`);
    const { report } = await check(p, SPAMMY);
    expect(byId(report).get('spam')?.status).toBe('pass');
    expect(byId(report).get('spam')?.reason).toMatch(/\(threshold 50\.0\)/);
  });

  it('fails DKIM when the configured public key does not match the signing key', async () => {
    const { report } = await check(project({ dkim: 'other-key' }), KLARNA);
    const dkim = byId(report).get('dkim');
    expect(dkim?.status).toBe('fail');
    expect(dkim?.reason).toMatch(/^signature d=fintechweekly\.example s=fw2026 does not verify against the public key in keys\/dkim-public\.pem/);
    expect(report.ok).toBe(false);
  });
});

describe('checkIssue without the tools', () => {
  it('warns that the spam score and rendering were not checked, and how to install the tools', async () => {
    const { report } = await check(project(), KLARNA, { path: '/nonexistent' });
    const results = byId(report);
    expect(results.get('spam')).toMatchObject({ status: 'warn', reason: 'not scored: SpamAssassin is not installed (Debian/Ubuntu: sudo apt-get install spamassassin)' });
    expect(results.get('rendering')).toMatchObject({ status: 'warn', reason: 'not rendered: Chromium is not installed (Debian/Ubuntu: sudo apt-get install chromium)' });
    expect(report.ok).toBe(true);
  });

  it('uses a throwaway unsubscribe secret when none is set, and says so in the notes', async () => {
    const { report } = await check(project(), KLARNA, { path: '/nonexistent', secret: false });
    expect(report.notes).toEqual([expect.stringContaining('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: this check used a throwaway secret')]);
    expect(byId(report).get('structure')?.status).toBe('pass');
  });
});
