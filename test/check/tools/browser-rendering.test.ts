import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRendering } from '../../../src/check/tools/browser-rendering.js';
import { checkTools } from '../tools.js';

const tools = checkTools();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const page = (body: string) => `<!doctype html><html><head><meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="margin:0">${body}</body></html>`;
const expectTexts = { visibleTexts: [{ label: 'tagline', text: 'Dibaca oleh eksekutif' }, { label: 'headline', text: 'Klarna memperingatkan resesi' }], slug: 'demo' };

function pngWidth(file: string): number {
  return readFileSync(file).readUInt32BE(16);
}

describe.skipIf(tools.skip)(`rendering in headless Chromium${tools.label}`, () => {
  it('passes a fluid page and saves a screenshot per width', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fw-shots-'));
    dirs.push(dir);
    const html = page('<p>Dibaca oleh eksekutif di JP Morgan</p><h1>Klarna memperingatkan resesi</h1><img src="https://cdn.example.com/a.png" alt="A" style="max-width:100%">');
    const result = await checkRendering(html, { ...expectTexts, screenshotsDir: dir }, process.env);
    expect(result.findings).toEqual([]);
    expect(result.status).toBe('pass');
    expect(result.screenshots.map((f) => path.basename(f))).toEqual(['demo-600px.png', 'demo-375px.png']);
    expect(result.screenshots.map(pngWidth)).toEqual([600, 375]);
  });

  it('fails a fixed-width table at phone width and names it', async () => {
    const html = page('<p>Dibaca oleh eksekutif</p><h1>Klarna memperingatkan resesi</h1><table style="width:560px"><tr><td>Kuartal pendapatan tabel lebar</td></tr></table>');
    const result = await checkRendering(html, expectTexts, process.env);
    expect(result.status).toBe('fail');
    expect(result.findings.map((f) => f.message)).toEqual(['at 375 px (phone) the email is 560 px wide and scrolls sideways; the widest part: <td> "Kuartal pendapatan tabel lebar"']);
  });

  it('fails when the headline is hidden or off screen', async () => {
    const html = page('<p>Dibaca oleh eksekutif</p><h1 style="display:none">Klarna memperingatkan resesi</h1>');
    const result = await checkRendering(html, expectTexts, process.env);
    expect(result.status).toBe('fail');
    expect(result.findings.map((f) => f.message)).toEqual([
      'at 600 px (desktop) the headline "Klarna memperingatkan resesi" is not visible',
      'at 375 px (phone) the headline "Klarna memperingatkan resesi" is not visible',
    ]);
  });

  it('warns when table cells get too narrow to hold a word', async () => {
    const cells = Array.from({ length: 12 }, (_, i) => `<td>Pendapatan${i}</td>`).join('');
    const html = page(`<p>Dibaca oleh eksekutif</p><h1>Klarna memperingatkan resesi</h1><table style="width:100%;table-layout:fixed;word-break:break-all"><tr>${cells}</tr></table>`);
    const result = await checkRendering(html, expectTexts, process.env);
    expect(result.status).toBe('warn');
    expect(result.findings.some((f) => f.message.startsWith('at 375 px (phone) 12 of 12 table cells are narrower than 40 px'))).toBe(true);
  });

  it('sends no request anywhere, not even to this machine', async () => {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end('x');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const base = `http://127.0.0.1:${port}`;
      const html = page(`<link rel="stylesheet" href="${base}/style.css"><p>Dibaca oleh eksekutif</p><h1>Klarna memperingatkan resesi</h1><img src="${base}/pixel.png" alt="x"><script src="${base}/x.js"></script>`);
      const result = await checkRendering(html, expectTexts, process.env);
      expect(result.status).toBe('pass');
      expect(requests).toEqual([]);
    } finally {
      server.close();
    }
  });
});

describe('rendering without Chromium', () => {
  it('warns and says how to install it, never a silent pass', async () => {
    const result = await checkRendering(page('<h1>x</h1>'), expectTexts, { PATH: '/nonexistent' });
    expect(result.status).toBe('warn');
    expect(result.reason).toBe('not rendered: Chromium is not installed (Debian/Ubuntu: sudo apt-get install chromium)');
  });
});
