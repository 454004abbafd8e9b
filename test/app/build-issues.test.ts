import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIssues, type BuildFailure } from '../../src/app/build-issues.js';
import { KLARNA, settingsOf, tempProject, type TempProject } from '../helpers/temp-project.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const fm = (lines: string, body = 'Isi berita.\n') => `---\n${lines}\n---\n\n${body}`;

/** Builds in process as `fintechweekly build [REFS] [--out DIR]` run in the project folder would. */
async function build(p: TempProject, refs: string[] = [], outDir?: string) {
  const failures: BuildFailure[] = [];
  const report = await buildIssues(settingsOf(p.dir), { refs, outDir, cwd: p.dir }, { onFailure: (failure) => failures.push(failure) });
  return { report, failures, messages: failures.map((f) => f.message).join('\n') };
}

// Every input an editor can get wrong: the file, what it holds, and the one line that must explain it
// (the CLI prints it after "error: "; test/cli/build.test.ts checks that).
const BAD_INPUTS: { name: string; content: string | Uint8Array; message: RegExp }[] = [
  { name: 'empty', content: '', message: /^issues\/empty\.md:1: the file is empty$/m },
  { name: 'no-front-matter', content: '# Judul\n\nIsi.\n', message: /^issues\/no-front-matter\.md:1: no front matter/m },
  { name: 'yaml-syntax', content: fm('title: "CEO Klarna\ndate: 2026-11-27'), message: /^issues\/yaml-syntax\.md:\d+:\d+: front matter is not valid YAML/m },
  { name: 'missing-title', content: fm('date: 2026-11-27'), message: /^issues\/missing-title\.md:\d+: title: is required$/m },
  { name: 'missing-date', content: fm('title: Judul'), message: /^issues\/missing-date\.md:\d+: date: is required$/m },
  { name: 'invalid-date', content: fm('title: Judul\ndate: 2026-02-30'), message: /^issues\/invalid-date\.md:3: date: is not a real calendar date$/m },
  { name: 'date-format', content: fm('title: Judul\ndate: 27/11/2026'), message: /^issues\/date-format\.md:3: date: must be a date written YYYY-MM-DD/m },
  { name: 'unknown-key', content: fm('title: Judul\ndate: 2026-11-27\nauthor: Budi'), message: /^issues\/unknown-key\.md:4: unknown key "author"$/m },
  { name: 'crlf-title', content: fm('title: "Judul\\r\\nBcc: all@example.com"\ndate: 2026-11-27'), message: /^issues\/crlf-title\.md:2: title: must be on one line/m },
  { name: 'lf-subject', content: fm('title: Judul\ndate: 2026-11-27\nsubject: |\n  satu\n  dua'), message: /^issues\/lf-subject\.md:4: subject: must be on one line/m },
  { name: 'nul-preheader', content: fm('title: Judul\ndate: 2026-11-27\npreheader: "a\\0b"'), message: /^issues\/nul-preheader\.md:4: preheader: must be on one line/m },
  { name: 'invalid-utf8', content: Buffer.concat([Buffer.from(fm('title: Judul\ndate: 2026-11-27', '')), Buffer.from([0x49, 0x73, 0xff, 0xfe, 0x0a])]), message: /^issues\/invalid-utf8\.md:6: the file is not valid UTF-8 text$/m },
  { name: 'unknown-lang', content: fm('title: Judul\ndate: 2026-11-27\nlang: fr'), message: /^issues\/unknown-lang\.md:4: lang: must be one of: id, en$/m },
  { name: 'bad-source', content: fm('title: Judul\ndate: 2026-11-27\nsource: ftp://example.com/x'), message: /^issues\/bad-source\.md:4: source: must be an http\(s\) URL/m },
  { name: 'bad-send-at', content: fm('title: Judul\ndate: 2026-11-27\nsend_at: next tuesday'), message: /^issues\/bad-send-at\.md:4: send_at: must be an ISO 8601 date-time/m },
];

describe('buildIssues: bad input', () => {
  it.each(BAD_INPUTS)('$name: fails with one line naming the file, writes nothing for it, and the sample issue still builds', async ({ name, content, message }) => {
    project = tempProject();
    project.write(`issues/${name}.md`, content);
    const { report, failures } = await build(project);
    expect(report).toMatchObject({ built: 1, failed: 1 });
    expect(failures).toHaveLength(1);
    const failure = failures[0] as BuildFailure;
    expect(failure.message).toMatch(message);
    expect(failure.message).not.toMatch(/at .*\.[jt]s:\d+/); // no stack trace
    expect(failure.message.split('\n')).toHaveLength(1);
    expect(report.issues.find((r) => !r.ok)).toMatchObject({ slug: null, file: `issues/${name}.md`, errors: [failure.message] });
    expect(existsSync(path.join(project.dir, 'dist', name))).toBe(false);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('Lihat Asli');
  });

  it('a missing template fails every issue with a line naming the template file, and writes nothing', async () => {
    project = tempProject();
    rmSync(path.join(project.dir, 'templates/default/issue.mjml'));
    const { report, messages } = await build(project);
    expect(report.failed).toBe(1);
    expect(messages).toMatch(/^templates\/default\/issue\.mjml: template not found/m);
    expect(existsSync(path.join(project.dir, 'dist'))).toBe(false);
  });

  it('an MJML error names the template file and line', async () => {
    project = tempProject();
    const file = path.join(project.dir, 'templates/default/partials/footer.mjml');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(2, 0, '    <mj-text colour="red">oops</mj-text>');
    project.write('templates/default/partials/footer.mjml', lines.join('\n'));
    const { report, messages } = await build(project);
    expect(report.failed).toBe(1);
    expect(messages).toMatch(/^templates\/default\/partials\/footer\.mjml:3: MJML: <mj-text> Attribute colour is illegal/m);
    expect(existsSync(path.join(project.dir, 'dist', KLARNA))).toBe(false);
  });

  it('a missing strings file for the issue\'s lang names the file', async () => {
    project = tempProject();
    rmSync(path.join(project.dir, 'templates/default/strings.en.json'));
    project.write('issues/english.md', fm('title: Weekly\ndate: 2026-11-27\nlang: en'));
    const { report, messages } = await build(project);
    expect(report.failed).toBe(1);
    expect(messages).toMatch(/^templates\/default\/strings\.en\.json: missing/m);
    expect(existsSync(path.join(project.dir, 'dist', KLARNA, 'email.html'))).toBe(true);
  });

  it('an issue that does not exist is named', async () => {
    project = tempProject();
    const { report, messages } = await build(project, ['no-such-issue']);
    expect(report).toMatchObject({ built: 0, failed: 1, issues: [{ ok: false, file: 'no-such-issue' }] });
    expect(messages).toMatch(/^issue "no-such-issue" not found/m);
  });

  it('two issues with the same slug: the second is refused and the first one\'s output is left alone', async () => {
    project = tempProject();
    project.write('issues/zz-copy.md', fm(`title: Salinan\ndate: 2026-11-28\nslug: ${KLARNA}`));
    const { report, failures } = await build(project);
    expect(report.failed).toBe(1);
    expect(failures).toEqual([
      { file: 'issues/zz-copy.md', message: expect.stringMatching(new RegExp(`^issues/zz-copy\\.md: slug: "${KLARNA}" is already the slug of issues/${KLARNA}\\.md`)), hint: expect.stringContaining('another slug') },
    ]);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('CEO Klarna Peringatkan');
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).not.toContain('Salinan');
  });

  it('a failed rebuild keeps the previous good output', async () => {
    project = tempProject();
    expect((await build(project)).report.failed).toBe(0);
    const before = readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8');
    project.write(`issues/${KLARNA}.md`, fm('title: Judul\ndate: 2026-13-45'));
    expect((await build(project)).report.failed).toBe(1);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toBe(before);
    expect(readdirSync(path.join(project.dir, 'dist', KLARNA)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('buildIssues', () => {
  it('builds the Klarna issue into email.html and email.txt with the preview unsubscribe link', async () => {
    project = tempProject();
    const { report } = await build(project);
    expect(report).toMatchObject({ built: 1, failed: 0, issues: [{ slug: KLARNA, ok: true, outputs: { html: `dist/${KLARNA}/email.html`, text: `dist/${KLARNA}/email.txt` } }] });
    const html = readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8');
    const text = readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.txt'), 'utf8');
    expect(html).toContain('CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi');
    expect(html).toContain('href="https://news.fintechweekly.example/u/preview"');
    expect(text).toContain('<https://news.fintechweekly.example/u/preview>');
    expect(html + text).not.toContain('FWX0UNSUBSCRIBE0TOKEN0XWF');
  });

  it('reports slug, outputs, sizes, warnings and errors per issue, in the order listed; a rebuild reuses the output', async () => {
    project = tempProject();
    project.write('issues/no-source.md', fm('title: Tanpa sumber\ndate: 2026-11-28', 'Lihat ![](https://example.com/chart.png) dan [ini](ftp://example.com/f).\n'));
    project.write('issues/broken.md', fm('title: Rusak'));
    const first = (await build(project)).report;
    expect(first.issues.map((r) => r.file)).toEqual([`issues/${KLARNA}.md`, 'issues/broken.md', 'issues/no-source.md']);
    const bySlug = (slug: string) => first.issues.find((r) => r.slug === slug);
    expect(bySlug(KLARNA)).toMatchObject({ ok: true, fromCache: false, warnings: [], errors: [], outputs: { html: `dist/${KLARNA}/email.html` } });
    expect(bySlug(KLARNA)?.bytes?.html).toBe(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html')).length);
    expect(bySlug(KLARNA)?.bytes?.text).toBe(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.txt')).length);
    expect(bySlug('no-source')?.warnings.map((w) => w.code).sort()).toEqual(['image-without-alt', 'link-not-web', 'no-source']);
    expect(first.issues.find((r) => !r.ok)).toMatchObject({ slug: null, file: 'issues/broken.md', errors: [expect.stringMatching(/^issues\/broken\.md:\d+: date: is required$/)] });

    const second = (await build(project, [KLARNA])).report;
    expect(second).toMatchObject({ built: 1, failed: 0, issues: [{ slug: KLARNA, fromCache: true }] });
  });

  it('a changed config renders again', async () => {
    project = tempProject();
    expect((await build(project)).report.failed).toBe(0);
    const config = readFileSync(path.join(project.dir, 'fintechweekly.config.yaml'), 'utf8');
    project.write('fintechweekly.config.yaml', config.replace('Jl. Contoh No. 1', 'Jl. Baru No. 9'));
    const { report } = await build(project);
    expect(report.issues).toMatchObject([{ fromCache: false }]);
    expect(readFileSync(path.join(project.dir, 'dist', KLARNA, 'email.html'), 'utf8')).toContain('Jl. Baru No. 9');
  });

  it('writes into another folder when given one, and writes the archive there too', async () => {
    project = tempProject();
    const { report } = await build(project, [`issues/${KLARNA}.md`], 'public');
    // The path is read from where the editor stands (the project here), not from the process's folder.
    expect(report.issues).toMatchObject([{ ok: true, file: `issues/${KLARNA}.md`, outputs: { text: `public/${KLARNA}/email.txt` } }]);
    expect(existsSync(path.join(project.dir, 'public', KLARNA, 'email.txt'))).toBe(true);
    expect(existsSync(path.join(project.dir, 'public', 'index.html'))).toBe(true);
    expect(existsSync(path.join(project.dir, 'dist'))).toBe(false);
  });

  it('an empty issues folder builds nothing and fails nothing', async () => {
    project = tempProject({ sampleIssue: false });
    expect((await build(project)).report).toEqual({ issues: [], built: 0, failed: 0 });
  });

  it('<script>, onerror= and javascript: written in Markdown never reach email.html', async () => {
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
    const { report, messages } = await build(project);
    expect(report.failed, messages).toBe(0);
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

describe('build writes the archive for any static host', () => {
  it('dist/index.html lists the built issues newest first; dist/<slug>/index.html carries no token', async () => {
    const p = tempProject();
    project = p;
    const older = path.join(p.dir, 'issues', '2026-11-20-edisi-lama.md');
    writeFileSync(older, readFileSync(path.join(p.dir, 'issues', `${KLARNA}.md`), 'utf8').replace(/^title: .*$/m, 'title: "Edisi lama"').replace(/^date: .*$/m, 'date: 2026-11-20'));
    expect((await build(p)).report.failed).toBe(0);
    const index = readFileSync(path.join(p.dir, 'dist', 'index.html'), 'utf8');
    expect(index.indexOf(`./${KLARNA}/`)).toBeGreaterThan(-1);
    expect(index.indexOf(`./${KLARNA}/`)).toBeLessThan(index.indexOf('./2026-11-20-edisi-lama/'));
    const web = readFileSync(path.join(p.dir, 'dist', KLARNA, 'index.html'), 'utf8');
    const email = readFileSync(path.join(p.dir, 'dist', KLARNA, 'email.html'), 'utf8');
    expect(email).toContain('/u/preview');
    expect(web).not.toContain('/u/');
    expect(web).toContain('href="https://news.fintechweekly.example/"');
  });
});
