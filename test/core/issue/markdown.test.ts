import { describe, expect, it } from 'vitest';
import { markdownToEmailHtml } from '../../../src/core/issue/markdown.js';

describe('markdownToEmailHtml', () => {
  it('renders GFM: tables, strikethrough, autolinks', () => {
    const { html } = markdownToEmailHtml('~~lama~~ baru, lihat https://example.com/a\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n');
    expect(html).toContain('<del>lama</del>');
    expect(html).toMatch(/<a href="https:\/\/example\.com\/a"[^>]*>https:\/\/example\.com\/a<\/a>/);
    expect(html).toMatch(/<td align="right" style="[^"]*text-align:right/);
  });

  it('drops script, style, iframe, event handlers and javascript:/data: URLs, and reports the links it saw', () => {
    const { html, references } = markdownToEmailHtml(
      'a <script>alert(1)</script> <style>p{}</style> <iframe src="https://example.com"></iframe>\n\n<p onmouseover="x()" style="color:red">b</p>\n\n[c](javascript:alert(1)) <a href="data:text/html,x">d</a> <img src="data:image/png;base64,AA" alt="e">',
    );
    expect(html).not.toMatch(/script|<style|iframe|onmouseover|color:red|javascript:|data:/i);
    expect(references.links).toEqual(['javascript:alert(1)', 'data:text/html,x']);
  });

  it('gives images max-width:100% and keeps their alt text', () => {
    const { html, references } = markdownToEmailHtml('![Grafik laba](https://example.com/g.png)');
    expect(html).toMatch(/<img alt="Grafik laba" src="https:\/\/example\.com\/g\.png" style="max-width:100%;[^"]*"/);
    expect(references.images).toEqual([{ src: 'https://example.com/g.png', alt: 'Grafik laba' }]);
  });

  it('wraps tables in a horizontally scrolling box and gives cells padding and borders', () => {
    const { html } = markdownToEmailHtml('| a |\n|---|\n| 1 |\n');
    expect(html).toMatch(/^<div class="fw-table" style="width:100%;max-width:100%;overflow-x:auto"><table style="border-collapse:collapse;width:100%;max-width:100%">/);
    expect(html).toMatch(/<th style="border:1px solid #d5dae1;padding:6px 8px;[^"]*word-break:break-word/);
  });

  it('lets code blocks and long words wrap', () => {
    const { html } = markdownToEmailHtml('```\nconst x = 1;\n```\n\n[https://example.com/very/long](https://example.com/very/long)');
    expect(html).toMatch(/<pre style="white-space:pre-wrap;[^"]*overflow-wrap:anywhere/);
    expect(html).toMatch(/<a href="[^"]+" style="word-break:break-word;overflow-wrap:anywhere;color:#0b5cff">/);
  });

  it('does not let raw HTML pick the table wrapper\'s style', () => {
    const { html } = markdownToEmailHtml('<div class="fw-table" style="position:fixed">x</div><div class="other">y</div>');
    expect(html).not.toContain('position:fixed');
    expect(html).toContain('<div>y</div>');
  });
});
