import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult, Finding } from '../core/check-result.js';
import { resultFromFindings } from '../core/check-result.js';
import { findOnPath } from './executable.js';

/** A desktop mail pane and a phone (iPhone SE/8/mini class). */
export const RENDER_WIDTHS = [
  { width: 600, label: 'desktop', mobile: false },
  { width: 375, label: 'phone', mobile: true },
] as const;

// What this machine's headless Chromium needs (see TOOLCHAIN.md), and nothing that phones home.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface RenderingExpectations {
  /** Texts a reader must see at every width. */
  visibleTexts: { label: string; text: string }[];
  /** Where to save <slug>-<width>px.png; nothing is saved without it. */
  screenshotsDir?: string | undefined;
  slug: string;
}

export interface RenderingResult extends CheckResult {
  screenshots: string[];
}

interface Overflow {
  scrollWidth: number;
  culprit: string | undefined;
}

/** Runs in the page: how wide the document is, and the innermost element that sticks out. */
function measureOverflow(viewportWidth: number): Overflow {
  const doc = document.documentElement;
  const scrollWidth = Math.max(doc.scrollWidth, document.body ? document.body.scrollWidth : 0);
  let culprit: string | undefined;
  if (scrollWidth > viewportWidth) {
    const sticking = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > viewportWidth + 1);
    const innermost = sticking.find((e) => !sticking.some((other) => other !== e && e.contains(other)));
    if (innermost) {
      const text = (innermost.textContent ?? '').replace(/\s+/g, ' ').trim();
      culprit = `<${innermost.tagName.toLowerCase()}>${text ? ` "${text.length > 60 ? `${text.slice(0, 57)}...` : text}"` : ''}`;
    }
  }
  return { scrollWidth, culprit };
}

declare const document: {
  documentElement: { scrollWidth: number };
  body: { scrollWidth: number; querySelectorAll(selector: string): Iterable<{ getBoundingClientRect(): { right: number }; contains(other: unknown): boolean; textContent: string | null; tagName: string }> };
};

export async function checkRendering(html: string, expect: RenderingExpectations, env: NodeJS.ProcessEnv): Promise<RenderingResult> {
  const title = 'Rendering';
  const executablePath = findOnPath('chromium', env) ?? findOnPath('chromium-browser', env);
  if (!executablePath) {
    return {
      id: 'rendering',
      title,
      status: 'warn',
      reason: 'not rendered: Chromium is not installed (Debian/Ubuntu: sudo apt-get install chromium)',
      findings: [],
      screenshots: [],
    };
  }
  const { chromium } = await import('playwright-core');
  const findings: Finding[] = [];
  const screenshots: string[] = [];
  // Playwright gives every launch a fresh, temporary profile (user data dir) and removes it on close.
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
  try {
    for (const { width, label, mobile } of RENDER_WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1, offline: true, javaScriptEnabled: true });
      try {
        // No network: images and fonts from the internet fail as they do with images blocked.
        await context.route('**/*', (route) => route.abort('blockedbyclient'));
        const page = await context.newPage();
        await page.setContent(html, { waitUntil: 'load', timeout: 30_000 });
        const overflow = await page.evaluate(measureOverflow, width);
        if (overflow.scrollWidth > width) {
          findings.push({
            status: 'fail',
            message: `at ${width} px (${label}) the email is ${overflow.scrollWidth} px wide and scrolls sideways${overflow.culprit ? `; the widest part: ${overflow.culprit}` : ''}`,
          });
        }
        for (const { label: what, text } of expect.visibleTexts) {
          const boxes = await page.getByText(text).filter({ visible: true }).evaluateAll((elements) =>
            elements.map((e) => {
              const r = (e as unknown as { getBoundingClientRect(): { left: number; right: number } }).getBoundingClientRect();
              return { left: r.left, right: r.right };
            }),
          );
          const inside = boxes.some((b) => b.left >= -1 && b.right <= width + 1);
          if (!inside) findings.push({ status: 'fail', message: `at ${width} px (${label}) the ${what} "${text}" is not visible${boxes.length > 0 ? ' inside the screen width' : ''}` });
        }
        if (expect.screenshotsDir) {
          mkdirSync(expect.screenshotsDir, { recursive: true });
          const file = path.resolve(expect.screenshotsDir, `${expect.slug}-${width}px.png`);
          await page.screenshot({ path: file, fullPage: true });
          screenshots.push(file);
        }
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  const names = expect.visibleTexts.map((t) => t.label).join(' and ');
  const result = resultFromFindings('rendering', title, findings, `no sideways scrolling at ${RENDER_WIDTHS.map((w) => `${w.width}`).join(' and ')} px; ${names} visible`);
  return { ...result, screenshots };
}
