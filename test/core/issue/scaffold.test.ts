import { describe, expect, it } from 'vitest';
import { checkScaffoldField, scaffoldIssue, slugify } from '../../../src/core/issue/scaffold.js';

describe('new issue scaffold', () => {
  it('names the file <date>-<slug>.md from the title, without accents or punctuation', () => {
    expect(slugify('CEO Klarna: PHK & AI Bisa Memicu Resesi!')).toBe('ceo-klarna-phk-ai-bisa-memicu-resesi');
    expect(slugify('Ümit über Regulasi')).toBe('umit-uber-regulasi');
    const { fileName, text } = scaffoldIssue({ title: 'Bank Digital', date: '2026-12-04', source: 'https://example.com/a', lang: 'id' });
    expect(fileName).toBe('2026-12-04-bank-digital.md');
    expect(text).toMatch(/^---\ntitle: Bank Digital\ndate: 2026-12-04\nsource: https:\/\/example.com\/a\nlang: id\n---\n/);
  });

  it('checks each prompt answer with the front matter rules, so a wrong answer is asked again', () => {
    expect(checkScaffoldField('title', 'Regulasi Kripto')).toBe(true);
    expect(checkScaffoldField('title', 'two\nlines')).toMatch(/line/);
    expect(checkScaffoldField('date', '2026-02-30')).toBe('is not a real calendar date');
    expect(checkScaffoldField('date', '2026-12-01')).toBe(true);
    expect(checkScaffoldField('source', 'not a url')).toBe('must be an http(s) URL like https://example.com/article');
    expect(checkScaffoldField('source', 'javascript:alert(1)')).not.toBe(true);
  });

  it('refuses flags that would make an invalid issue, naming the flag', () => {
    expect(() => scaffoldIssue({ title: 'X', date: '2026-13-01', lang: 'id' })).toThrow(/^--date: /);
  });
});
