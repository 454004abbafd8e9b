import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mjml2html from 'mjml';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTemplate } from '../../../src/pipeline/template-files.js';
import { loadSettings, type Settings } from '../../../src/config/load.js';
import { decodeIssue, parseIssue } from '../../../src/core/issue/front-matter.js';
import { UNSUBSCRIBE_TOKEN_MARKER } from '../../../src/core/message/placeholders.js';
import { createIssueRenderer, type CompileMjml, type IssueRenderer, type RenderedIssue } from '../../../src/core/issue/render-issue.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const KLARNA_FILE = 'issues/2026-11-27-klarna-phk-ai-resesi.md';
const SECTIONS = [
  'Dari Efisiensi ke Peringatan Ekonomi',
  'Para Pemimpin Industri Mulai Mengakui Trade-Off Tenaga Kerja',
  'Risiko Resesi Jangka Pendek',
  'Menyeimbangkan Inovasi dengan Desain Berorientasi Manusia',
  'Melihat ke Depan',
];
const TAGLINE = 'Dibaca oleh eksekutif di JP Morgan, Coinbase, Blackrock, Klarna dan lainnya';

let settings: Settings;
let renderer: IssueRenderer;

function render(text: string, file = 'issues/test.md', slug = 'test'): Promise<RenderedIssue> {
  const parsed = parseIssue(text, { file, defaultLang: settings.config.lang });
  return renderer.render({ parsed, slug, file, config: settings.config });
}

beforeAll(() => {
  settings = loadSettings({ cwd: repo, env: {} });
  renderer = createIssueRenderer(readTemplate(settings).source, mjml2html as unknown as CompileMjml);
});

/** The visible text of an HTML fragment, entities decoded, whitespace collapsed. */
function visible(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ');
}

describe('the Klarna issue', () => {
  let rendered: RenderedIssue;
  beforeAll(async () => {
    const bytes = readFileSync(path.join(repo, KLARNA_FILE));
    rendered = await render(decodeIssue(bytes, KLARNA_FILE), KLARNA_FILE, '2026-11-27-klarna-phk-ai-resesi');
  });

  it('has the tagline header with a view-in-browser link, the headline and every section heading in order', () => {
    const { html } = rendered;
    const tagline = html.indexOf(TAGLINE);
    const headline = html.search(/<h1[^>]*>CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi<\/h1>/);
    expect(tagline).toBeGreaterThan(-1);
    expect(headline).toBeGreaterThan(tagline);
    expect(html).toContain('href="https://news.fintechweekly.example/2026-11-27-klarna-phk-ai-resesi/"');
    let previous = headline;
    for (const section of SECTIONS) {
      const at = html.search(new RegExp(`<h2[^>]*>${section}</h2>`));
      expect(at, section).toBeGreaterThan(previous);
      previous = at;
    }
    expect(visible(html)).toContain('Ini tentang konsekuensi.');
  });

  it('has the "Lihat Asli" button to the source, then the disclaimer and the footer', () => {
    const { html } = rendered;
    const button = html.search(/<a\s+href="https:\/\/news\.fintechweekly\.example\/klarna-ai-resesi"[^>]*>\s*Lihat Asli\s*<\/a>/);
    expect(button).toBeGreaterThan(html.indexOf('Ini tentang konsekuensi.'));
    const disclaimer = html.indexOf('Newsletter ini mungkin berisi konten pihak ketiga');
    expect(disclaimer).toBeGreaterThan(button);
    const footer = ['Temukan berita dan acara fintech teratas!', 'Berlangganan newsletter FinTech Weekly', 'FinTech Weekly, Jl. Contoh No. 1, Jakarta 10110, Indonesia'];
    let previous = disclaimer;
    for (const line of footer) {
      const at = html.indexOf(line, previous);
      expect(at, line).toBeGreaterThan(previous);
      previous = at;
    }
    expect(html.lastIndexOf(TAGLINE)).toBeGreaterThan(disclaimer);
    // "Berlangganan" leads to serve's sign-up form.
    expect(html).toMatch(/<a href="https:\/\/news\.fintechweekly\.example\/subscribe"[^>]*>Berlangganan newsletter FinTech Weekly<\/a>/);
  });

  it('has a visible unsubscribe link carrying the per-recipient marker', () => {
    expect(rendered.html).toMatch(new RegExp(`<a class="fw-unsubscribe" href="https://news\\.fintechweekly\\.example/u/${UNSUBSCRIBE_TOKEN_MARKER}"[^>]*>Berhenti berlangganan</a>`));
  });

  it('puts the preheader first in the body (hidden preview text) and the subject in <title>', () => {
    const body = rendered.html.slice(rendered.html.indexOf('<body'));
    const preview = body.match(/<div style="display:none[^>]*>([^<]*)/);
    expect(preview?.[1]).toContain('Sebastian Siemiatkowski menilai penggantian pekerjaan kerah putih oleh AI bisa memicu resesi, dan segera.');
    expect(body.indexOf('Sebastian Siemiatkowski menilai')).toBeLessThan(body.indexOf(TAGLINE));
    expect(rendered.html).toContain('<title>CEO Klarna Peringatkan Kehilangan Pekerjaan Akibat AI Bisa Memicu Resesi</title>');
    expect(rendered.html).toMatch(/<html lang="id"/);
  });

  it('is 600px wide on desktop and fluid below (mobile media query)', () => {
    expect(rendered.html).toMatch(/max-width:600px/);
    // MJML's columns are 100% wide by default and take their desktop width only from 480px up.
    expect(rendered.html).toMatch(/@media only screen and \(min-width:480px\)\s*\{\s*\.mj-column-per-100 \{ width:100% !important; max-width: 100%; \}/);
  });

  it('has no warnings', () => {
    expect(rendered.warnings).toEqual([]);
  });

  it('has a text part with the same content in the same order', () => {
    const { text } = rendered;
    const order = [
      TAGLINE,
      'Lihat di browser: <https://news.fintechweekly.example/2026-11-27-klarna-phk-ai-resesi/>',
      'CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi\n=====',
      ...SECTIONS.map((s) => `## ${s}`),
      'Lihat Asli: <https://news.fintechweekly.example/klarna-ai-resesi>',
      'Newsletter ini mungkin berisi konten pihak ketiga',
      'Temukan berita dan acara fintech teratas!',
      'Berlangganan newsletter FinTech Weekly: <https://news.fintechweekly.example/subscribe>',
      'FinTech Weekly, Jl. Contoh No. 1, Jakarta 10110, Indonesia',
      `Berhenti berlangganan: <https://news.fintechweekly.example/u/${UNSUBSCRIBE_TOKEN_MARKER}>`,
    ];
    let previous = -1;
    for (const part of order) {
      const at = text.indexOf(part, previous + 1);
      expect(at, part).toBeGreaterThan(previous);
      previous = at;
    }
    expect(text).not.toMatch(/<\/?[a-z]+[ >]/i);
    expect(Math.max(...text.split('\n').map((l) => l.length))).toBeLessThanOrEqual(90);
  });
});

describe('rendering', () => {
  const issue = (front: string, body = 'Paragraf pertama.\n') => `---\ntitle: Judul\ndate: 2026-11-27\n${front}---\n\n${body}`;

  it('leaves out the "Lihat Asli" button and warns when there is no source', async () => {
    const rendered = await render(issue(''));
    expect(rendered.html).not.toContain('Lihat Asli');
    expect(rendered.text).not.toContain('Lihat Asli');
    expect(rendered.warnings.map((w) => w.code)).toEqual(['no-source']);
  });

  it('uses the English interface strings for lang: en', async () => {
    const rendered = await render(issue('lang: en\nsource: https://example.com/a\n'));
    expect(rendered.html).toContain('View original');
    expect(rendered.html).toContain('Unsubscribe');
    expect(rendered.html).toMatch(/<html lang="en"/);
    expect(rendered.text).toContain('View original: <https://example.com/a>');
  });

  it('escapes front matter values: a title cannot inject markup', async () => {
    const rendered = await render(issue('subject: "A <b>bold</b> & \\"quoted\\" subject"\n').replace('title: Judul', 'title: "<img src=x onerror=alert(1)> R&D"'));
    expect(rendered.html).toContain('&lt;img src=x onerror=alert(1)&gt; R&amp;D');
    expect(rendered.html).not.toContain('<img src=x');
    expect(rendered.html).toContain('<title>A &lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34; subject</title>');
  });

  it('warns about a long subject, a long preheader, an image without alt and a non-web link', async () => {
    const rendered = await render(issue(`source: https://example.com/a\nsubject: "${'s'.repeat(91)}"\npreheader: "${'p'.repeat(141)}"\n`, '![](https://example.com/a.png) [berkas](file:///etc/passwd) [relatif](halaman.html) [surat](mailto:a@example.com)\n'));
    expect(rendered.warnings.map((w) => w.code)).toEqual(['image-without-alt', 'link-not-web', 'link-not-web', 'subject-too-long', 'preheader-too-long']);
    expect(rendered.warnings[1]?.message).toContain('file:///etc/passwd');
  });

  it('warns when the HTML is over 102 KB (Gmail clips it)', async () => {
    const body = Array.from({ length: 1200 }, (_, i) => `Paragraf ${i} dengan teks yang cukup panjang untuk mengisi email ini sampai besar.`).join('\n\n');
    const rendered = await render(issue('source: https://example.com/a\n', body));
    expect(rendered.warnings.map((w) => w.code)).toEqual(['html-too-large']);
  });

  it('the text part shows links as text <url>, lists and tables legibly', async () => {
    const rendered = await render(
      issue('source: https://example.com/a\n', 'Baca [laporan OJK](https://example.com/ojk) hari ini.\n\n- satu\n- dua\n\n| Bank | Laba |\n|---|---|\n| BCA | 12,3 |\n| Mandiri | 10,1 |\n'),
    );
    expect(rendered.text).toContain('laporan OJK <https://example.com/ojk>');
    expect(rendered.text).toMatch(/ - satu\n - dua/);
    expect(rendered.text).toMatch(/Bank +Laba\n(.*\n)?BCA +12,3\n(.*\n)?Mandiri +10,1/);
  });
});
