import { describe, expect, it } from 'vitest';
import { checkLinks } from '../../../src/check/rules/links.js';
import { checkSize, GMAIL_CLIP_BYTES } from '../../../src/check/rules/size.js';

describe('links and images check', () => {
  it('passes https and mailto links and https images with alt text', () => {
    const result = checkLinks('<a href="https://example.com/a">A</a> <a href="mailto:editor@example.com">mail</a> <img src="https://cdn.example.com/logo.png" alt="Logo">');
    expect(result.status).toBe('pass');
    expect(result.reason).toBe('2 links (https/mailto) and 1 images with alt text and https URLs');
  });

  it('warns about plain http links', () => {
    const result = checkLinks('<a href="http://example.com/old">old</a>');
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('link http://example.com/old ("old") is plain http: use https');
  });

  it('fails empty, relative and script links', () => {
    const result = checkLinks('<a href="">empty</a><a>none</a><a href="/archive">rel</a><a href="javascript:alert(1)">js</a>');
    expect(result.status).toBe('fail');
    const messages = result.findings.map((f) => f.message);
    expect(messages.filter((m) => m.includes('has an empty href'))).toHaveLength(2);
    expect(messages.some((m) => m.startsWith('link /archive ("rel") is neither an https nor a mailto URL'))).toBe(true);
    expect(messages.some((m) => m.startsWith('link javascript:alert(1)'))).toBe(true);
  });

  it('fails images without alt text or without an absolute https URL', () => {
    const result = checkLinks('<img src="https://cdn.example.com/a.png"><img src="/b.png" alt="B"><img src="http://cdn.example.com/c.png" alt="C">');
    expect(result.status).toBe('fail');
    const messages = result.findings.map((f) => f.message);
    expect(messages).toContain('image https://cdn.example.com/a.png has no alt text: many readers see images blocked; add alt text');
    expect(messages.some((m) => m.startsWith('image /b.png needs an absolute https URL'))).toBe(true);
    expect(messages.some((m) => m.startsWith('image http://cdn.example.com/c.png needs an absolute https URL'))).toBe(true);
  });
});

describe('size check', () => {
  const page = (bytes: number) => `<p>${'x'.repeat(bytes - 7)}</p>`;

  it('passes well under Gmail\'s clipping limit', () => {
    const result = checkSize(page(20_000));
    expect(result.status).toBe('pass');
    expect(result.metrics?.htmlBytes).toBe(20_000);
  });

  it('warns close to the limit and fails over it, counting UTF-8 bytes', () => {
    expect(checkSize(page(95_000)).status).toBe('warn');
    expect(checkSize(page(GMAIL_CLIP_BYTES + 1)).status).toBe('fail');
    expect(checkSize(page(GMAIL_CLIP_BYTES + 1)).reason).toMatch(/^the HTML is 102\.0 KB, over Gmail's 102 KB limit/);
    // 40,000 two-byte characters: 80 KB of bytes, not 40.
    expect(checkSize('é'.repeat(60_000)).status).toBe('fail');
  });
});
