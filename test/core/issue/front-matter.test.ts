import { describe, expect, it } from 'vitest';
import { decodeIssue, defaultPreheader, parseIssue } from '../../../src/core/issue/front-matter.js';

const FILE = 'issues/x.md';
const parse = (text: string) => parseIssue(text, { file: FILE, defaultLang: 'id' });
const errorOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

describe('parseIssue', () => {
  it('reads every field and keeps the Markdown', () => {
    const parsed = parse('---\ntitle: "Judul: satu"\ndate: 2026-11-27\nsubject: Subjek\npreheader: Pratinjau\nsource: https://example.com/a\nlang: en\nslug: judul-satu\nsend_at: 2026-11-27T08:00:00+07:00\n---\n\n## Bagian\n');
    expect(parsed.frontMatter).toEqual({ title: 'Judul: satu', date: '2026-11-27', subject: 'Subjek', preheader: 'Pratinjau', source: 'https://example.com/a', lang: 'en', slug: 'judul-satu', send_at: '2026-11-27T08:00:00+07:00' });
    expect(parsed).toMatchObject({ subject: 'Subjek', preheader: 'Pratinjau', lang: 'en' });
    expect(parsed.markdown.trim()).toBe('## Bagian');
  });

  it('defaults: subject is the title, preheader the start of the first paragraph, lang from the config', () => {
    const parsed = parse('---\ntitle: Judul\ndate: 2026-11-27\n---\n\n## Bagian\n\nIni **paragraf** pertama dengan [tautan](https://example.com).\n');
    expect(parsed).toMatchObject({ subject: 'Judul', preheader: 'Ini paragraf pertama dengan tautan.', lang: 'id' });
  });

  it('cuts a long default preheader at a word', () => {
    const preheader = defaultPreheader(`${'kata '.repeat(60)}\n`);
    expect(preheader.length).toBeLessThanOrEqual(121);
    expect(preheader).toMatch(/kata…$/);
  });

  it.each([
    ['an empty file', '  \n', /^issues\/x\.md:1: the file is empty$/],
    ['no front matter', 'Judul\n', /^issues\/x\.md:1: no front matter/],
    ['an unclosed front matter', '---\ntitle: Judul\ndate: 2026-11-27\n', /^issues\/x\.md:1: the front matter is not closed/],
    ['a YAML syntax error', '---\ntitle: Judul\ndate: 2026-11-27\n  x: y\n---\n', /^issues\/x\.md:[34]:\d+: front matter is not valid YAML/],
    ['a list instead of keys', '---\n- a\n- b\n---\n', /^issues\/x\.md:2: front matter must be "key: value" lines/],
    ['a missing title', '---\ndate: 2026-11-27\n---\n', /^issues\/x\.md:1: title: is required$/],
    ['an empty title', '---\ntitle: "  "\ndate: 2026-11-27\n---\n', /^issues\/x\.md:2: title: must not be empty$/],
    ['a number as title', '---\ntitle: 42\ndate: 2026-11-27\n---\n', /^issues\/x\.md:2: title: must be text$/],
    ['a missing date', '---\ntitle: Judul\n---\n', /^issues\/x\.md:1: date: is required$/],
    ['February 30th', '---\ntitle: Judul\ndate: 2026-02-30\n---\n', /^issues\/x\.md:3: date: is not a real calendar date$/],
    ['a date in another format', '---\ntitle: Judul\ndate: 27-11-2026\n---\n', /^issues\/x\.md:3: date: must be a date written YYYY-MM-DD/],
    ['unknown keys', '---\ntitle: Judul\ndate: 2026-11-27\nauthor: a\ntags: [b]\n---\n', /^issues\/x\.md:4: unknown keys "author", "tags"$/],
    ['a LF in the title', '---\ntitle: "a\\nb"\ndate: 2026-11-27\n---\n', /^issues\/x\.md:2: title: must be on one line/],
    ['a CR in the subject', '---\ntitle: a\ndate: 2026-11-27\nsubject: "a\\rBcc: x@example.com"\n---\n', /^issues\/x\.md:4: subject: must be on one line/],
    ['a NUL in the preheader', '---\ntitle: a\ndate: 2026-11-27\npreheader: "a\\0"\n---\n', /^issues\/x\.md:4: preheader: must be on one line/],
    ['an unknown lang', '---\ntitle: a\ndate: 2026-11-27\nlang: de\n---\n', /^issues\/x\.md:4: lang: must be one of: id, en$/],
    ['a javascript: source', '---\ntitle: a\ndate: 2026-11-27\nsource: "javascript:alert(1)"\n---\n', /^issues\/x\.md:4: source: must be an http\(s\) URL/],
    ['a slug with a slash', '---\ntitle: a\ndate: 2026-11-27\nslug: ../etc\n---\n', /^issues\/x\.md:4: slug: must be lowercase letters, digits and dashes/],
    ['an unparseable send_at', '---\ntitle: a\ndate: 2026-11-27\nsend_at: besok\n---\n', /^issues\/x\.md:4: send_at: must be an ISO 8601 date-time/],
  ])('rejects %s with a line naming the file and line', (_name, text, message) => {
    expect(errorOf(() => parse(text))).toMatch(message);
  });
});

describe('decodeIssue', () => {
  it('accepts UTF-8 (and drops a byte order mark)', () => {
    expect(decodeIssue(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('—é')]), FILE)).toBe('—é');
  });

  it('rejects invalid UTF-8 naming the line', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('---\ntitle: a\n'), 0x62, 0xe9, 0x62, 0x0a]);
    expect(errorOf(() => decodeIssue(bytes, FILE))).toBe('issues/x.md:3: the file is not valid UTF-8 text');
  });
});
