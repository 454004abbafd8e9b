import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { KLARNA, tempProject, type TempProject } from './build-project.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const fm = (lines: string, body = 'Isi berita.\n') => `---\n${lines}\n---\n\n${body}`;

// Every input an editor can get wrong: the file, what it holds, and the one line that must explain it.
const BAD_INPUTS: { name: string; content: string | Uint8Array; message: RegExp }[] = [
  { name: 'empty', content: '', message: /^error: issues\/empty\.md:1: the file is empty$/m },
  { name: 'no-front-matter', content: '# Judul\n\nIsi.\n', message: /^error: issues\/no-front-matter\.md:1: no front matter/m },
  { name: 'yaml-syntax', content: fm('title: "CEO Klarna\ndate: 2026-11-27'), message: /^error: issues\/yaml-syntax\.md:\d+:\d+: front matter is not valid YAML/m },
  { name: 'missing-title', content: fm('date: 2026-11-27'), message: /^error: issues\/missing-title\.md:\d+: title: is required$/m },
  { name: 'missing-date', content: fm('title: Judul'), message: /^error: issues\/missing-date\.md:\d+: date: is required$/m },
  { name: 'invalid-date', content: fm('title: Judul\ndate: 2026-02-30'), message: /^error: issues\/invalid-date\.md:3: date: is not a real calendar date$/m },
  { name: 'date-format', content: fm('title: Judul\ndate: 27/11/2026'), message: /^error: issues\/date-format\.md:3: date: must be a date written YYYY-MM-DD/m },
  { name: 'unknown-key', content: fm('title: Judul\ndate: 2026-11-27\nauthor: Budi'), message: /^error: issues\/unknown-key\.md:4: unknown key "author"$/m },
  { name: 'crlf-title', content: fm('title: "Judul\\r\\nBcc: all@example.com"\ndate: 2026-11-27'), message: /^error: issues\/crlf-title\.md:2: title: must be on one line/m },
  { name: 'lf-subject', content: fm('title: Judul\ndate: 2026-11-27\nsubject: |\n  satu\n  dua'), message: /^error: issues\/lf-subject\.md:4: subject: must be on one line/m },
  { name: 'nul-preheader', content: fm('title: Judul\ndate: 2026-11-27\npreheader: "a\\0b"'), message: /^error: issues\/nul-preheader\.md:4: preheader: must be on one line/m },
  { name: 'invalid-utf8', content: Buffer.concat([Buffer.from(fm('title: Judul\ndate: 2026-11-27', '')), Buffer.from([0x49, 0x73, 0xff, 0xfe, 0x0a])]), message: /^error: issues\/invalid-utf8\.md:6: the file is not valid UTF-8 text$/m },
  { name: 'unknown-lang', content: fm('title: Judul\ndate: 2026-11-27\nlang: fr'), message: /^error: issues\/unknown-lang\.md:4: lang: must be one of: id, en$/m },
  { name: 'bad-source', content: fm('title: Judul\ndate: 2026-11-27\nsource: ftp://example.com/x'), message: /^error: issues\/bad-source\.md:4: source: must be an http\(s\) URL/m },
  { name: 'bad-send-at', content: fm('title: Judul\ndate: 2026-11-27\nsend_at: next tuesday'), message: /^error: issues\/bad-send-at\.md:4: send_at: must be an ISO 8601 date-time/m },
];

describe('fintechweekly build: bad input', () => {
  it.each(BAD_INPUTS)('$name: exits 1, one line names the file, nothing written, the sample issue still builds', ({ name, content, message }) => {
    project = tempProject();
    project.write(`issues/${name}.md`, content);
    const result = runCli(project.dir, ['build']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
    expect(result.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1);
    expect(existsSync(path.join(project.dir, 'dist', name))).toBe(false);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('Lihat Asli');
    expect(result.stdout).toContain('1 built, 1 failed');
  });

  it('a missing template fails every issue with a line naming the template file, and writes nothing', () => {
    project = tempProject();
    rmSync(path.join(project.dir, 'templates/default/issue.mjml'));
    const result = runCli(project.dir, ['build']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: templates\/default\/issue\.mjml: template not found/m);
    expect(existsSync(path.join(project.dir, 'dist'))).toBe(false);
  });

  it('an MJML error names the template file and line', () => {
    project = tempProject();
    const file = path.join(project.dir, 'templates/default/partials/footer.mjml');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(2, 0, '    <mj-text colour="red">oops</mj-text>');
    project.write('templates/default/partials/footer.mjml', lines.join('\n'));
    const result = runCli(project.dir, ['build']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: templates\/default\/partials\/footer\.mjml:3: MJML: <mj-text> Attribute colour is illegal/m);
    expect(existsSync(path.join(project.dir, 'dist', KLARNA))).toBe(false);
  });

  it('a missing strings file for the issue\'s lang names the file', () => {
    project = tempProject();
    rmSync(path.join(project.dir, 'templates/default/strings.en.json'));
    project.write('issues/english.md', fm('title: Weekly\ndate: 2026-11-27\nlang: en'));
    const result = runCli(project.dir, ['build']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: templates\/default\/strings\.en\.json: missing/m);
    expect(existsSync(path.join(project.dir, 'dist', KLARNA, 'email.html'))).toBe(true);
  });

  it('an issue that does not exist is named', () => {
    project = tempProject();
    const result = runCli(project.dir, ['build', 'no-such-issue']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: issue "no-such-issue" not found/m);
  });

  it('two issues with the same slug: the second is refused and the first one\'s output is left alone', () => {
    project = tempProject();
    project.write('issues/zz-copy.md', fm(`title: Salinan\ndate: 2026-11-28\nslug: ${KLARNA}`));
    const result = runCli(project.dir, ['build']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: issues/zz-copy\\.md: slug: "${KLARNA}" is already the slug of issues/${KLARNA}\\.md`, 'm'));
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('CEO Klarna Peringatkan');
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).not.toContain('Salinan');
  });

  it('a failed rebuild keeps the previous good output', () => {
    project = tempProject();
    expect(runCli(project.dir, ['build']).code).toBe(0);
    const before = readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8');
    project.write(`issues/${KLARNA}.md`, fm('title: Judul\ndate: 2026-13-45'));
    expect(runCli(project.dir, ['build']).code).toBe(1);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toBe(before);
    expect(readdirSync(path.join(project.dir, 'dist', KLARNA)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('fintechweekly build', () => {
  it('builds the Klarna issue into email.html and email.txt with the preview unsubscribe link', () => {
    project = tempProject();
    const result = runCli(project.dir, ['build']);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8');
    const text = readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.txt'), 'utf8');
    expect(html).toContain('CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi');
    expect(html).toContain('href="https://news.fintechweekly.example/u/preview"');
    expect(text).toContain('<https://news.fintechweekly.example/u/preview>');
    expect(html + text).not.toContain('FWX0UNSUBSCRIBE0TOKEN0XWF');
    expect(result.stdout).toMatch(new RegExp(`built ${KLARNA} -> dist/${KLARNA}/email.html`));
  });

  it('--json reports slug, outputs, sizes, warnings and errors per issue; a rebuild reuses the output', () => {
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

    const second = runCli(project.dir, ['build', KLARNA, '--json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject([{ slug: KLARNA, fromCache: true }]);
  });

  it('an unchanged rebuild reuses the output without loading MJML', () => {
    project = tempProject();
    const loadedMjml = (modules: string[]) => modules.some((url) => /\/node_modules\/mjml(-core)?\//.test(url));
    const first = runCli(project.dir, ['build'], { recordModules: true });
    expect(first.code).toBe(0);
    expect(loadedMjml(first.modules)).toBe(true);
    const result = runCli(project.dir, ['build', '--json'], { recordModules: true });
    expect(JSON.parse(result.stdout)).toMatchObject([{ slug: KLARNA, fromCache: true }]);
    expect(result.modules.some((url) => url.endsWith('/src/pipeline/build-issue.ts'))).toBe(true);
    expect(loadedMjml(result.modules)).toBe(false);
  });

  it('a changed config renders again', () => {
    project = tempProject();
    expect(runCli(project.dir, ['build']).code).toBe(0);
    const config = readFileSync(path.join(project.dir, 'fintechweekly.config.yaml'), 'utf8');
    project.write('fintechweekly.config.yaml', config.replace('Jl. Contoh No. 1', 'Jl. Baru No. 9'));
    const result = runCli(project.dir, ['build', '--json']);
    expect(JSON.parse(result.stdout)).toMatchObject([{ fromCache: false }]);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('Jl. Baru No. 9');
  });

  it('--out writes elsewhere', () => {
    project = tempProject();
    expect(runCli(project.dir, ['build', `issues/${KLARNA}.md`, '--out', 'public']).code).toBe(0);
    expect(existsSync(path.join(project.dir, 'public', KLARNA, 'email.txt'))).toBe(true);
    expect(existsSync(path.join(project.dir, 'dist'))).toBe(false);
  });

  it('<script>, onerror= and javascript: written in Markdown never reach email.html', () => {
    project = tempProject({ sampleIssue: false });
    project.write(
      'issues/xss.md',
      fm(
        'title: "<script>alert(1)</script> Judul"\ndate: 2026-11-27\nsource: https://example.com/a',
        [
          'Teks <script>alert("x")</script> biasa.',
          '<img src="https://example.com/a.png" alt="grafik" onerror="alert(2)">',
          '[klik](javascript:alert(3)) dan <a href="JaVaScRiPt:alert(4)">ini</a> dan <a href="data:text/html;base64,PHNjcmlwdD4=">itu</a>',
          '<iframe src="https://example.com"></iframe><style>body{display:none}</style><div onclick="alert(5)" style="position:fixed">x</div>',
          '<svg onload="alert(6)"></svg><form action="https://example.com"><input name="q"></form>',
        ].join('\n\n'),
      ),
    );
    const result = runCli(project.dir, ['build']);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(path.join(project.dir, 'dist', 'xss', 'email.html'), 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/onerror|onclick|onload/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(html).not.toMatch(/data:text/i);
    expect(html).not.toMatch(/<iframe|<svg|<form|<input/i);
    expect(html).not.toContain('display:none}');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; Judul');
    expect(html).toContain('alt="grafik"');
  });
});
