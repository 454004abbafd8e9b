import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { KLARNA, tempProject, type TempProject } from './build-project.js';

// What each bad input does to a build is tested in process (test/app/build-issues.test.ts); here,
// how the command reports it: arguments, output, exit codes.

let project: TempProject | undefined;
afterEach(() => project?.remove());

const fm = (lines: string, body = 'Isi berita.\n') => `---\n${lines}\n---\n\n${body}`;

describe('fintechweekly build', () => {
  it('a bad issue: exits 1, one "error:" line names the file, no stack trace, nothing written, the sample issue still builds', () => {
    project = tempProject();
    project.write('issues/unknown-key.md', fm('title: Judul\ndate: 2026-11-27\nauthor: Budi'));
    const result = runCli(project.dir, ['build']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: issues\/unknown-key\.md:4: unknown key "author"$/m);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(result.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(existsSync(path.join(project.dir, 'dist', 'unknown-key'))).toBe(false);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('Lihat Asli');
    expect(result.stdout).toContain('1 built, 1 failed');
  });

  it('--json reports slug, outputs, sizes, warnings and errors per issue', () => {
    project = tempProject();
    project.write('issues/no-source.md', fm('title: Tanpa sumber\ndate: 2026-11-28', 'Lihat ![](https://example.com/chart.png) dan [ini](ftp://example.com/f).\n'));
    project.write('issues/broken.md', fm('title: Rusak'));
    const first = runCli(project.dir, ['build', '--json']);
    expect(first.code).toBe(1);
    const reports = JSON.parse(first.stdout) as { slug: string | null; file: string; ok: boolean; fromCache: boolean; outputs: { html: string }; bytes: { html: number; text: number }; warnings: { code: string }[]; errors: string[] }[];
    const bySlug = (slug: string) => reports.find((r) => r.slug === slug);
    expect(bySlug(KLARNA)).toMatchObject({ ok: true, fromCache: false, warnings: [], errors: [], outputs: { html: `dist/${KLARNA}/email.html` } });
    expect(bySlug(KLARNA)?.bytes.html).toBe(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html')).length);
    expect(bySlug('no-source')?.warnings.map((w) => w.code).sort()).toEqual(['image-without-alt', 'link-not-web', 'no-source']);
    expect(reports.find((r) => !r.ok)).toMatchObject({ slug: null, file: 'issues/broken.md', errors: [expect.stringMatching(/^issues\/broken\.md:\d+: date: is required$/)] });
  });

  it('prints what it built; an unchanged rebuild reuses the output without loading MJML', () => {
    project = tempProject();
    const loadedMjml = (modules: string[]) => modules.some((url) => /\/node_modules\/mjml(-core)?\//.test(url));
    const first = runCli(project.dir, ['build'], { recordModules: true });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`built ${KLARNA} -> dist/${KLARNA}/email.html`));
    expect(loadedMjml(first.modules)).toBe(true);
    const result = runCli(project.dir, ['build', '--json'], { recordModules: true });
    expect(JSON.parse(result.stdout)).toMatchObject([{ slug: KLARNA, fromCache: true }]);
    expect(result.modules.some((url) => url.endsWith('/src/pipeline/build-issue.ts'))).toBe(true);
    expect(loadedMjml(result.modules)).toBe(false);
  });

  it('--out writes elsewhere', () => {
    project = tempProject();
    expect(runCli(project.dir, ['build', `issues/${KLARNA}.md`, '--out', 'public']).code).toBe(0);
    expect(existsSync(path.join(project.dir, 'public', KLARNA, 'email.txt'))).toBe(true);
    expect(existsSync(path.join(project.dir, 'dist'))).toBe(false);
  });
});
