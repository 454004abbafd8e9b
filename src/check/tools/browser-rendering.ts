import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CheckResult, Finding } from '../rules/result.js';
import { resultFromFindings } from '../rules/result.js';
import { findOnPath } from './executable.js';
import { toolEnv } from './tool-env.js';

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

interface Layout {
  scrollWidth: number;
  /** The innermost element that sticks out past the viewport, as "<tag> \"text\"". */
  culprit: string | undefined;
  /** Table cells so narrow that their words break into letters, and all table cells. */
  crampedCells: number;
  cells: number;
}

/** A cell narrower than this cannot hold a 6-letter word at body size: it breaks into letters. */
const CRAMPED_CELL_PX = 40;

/** Runs in the page: how wide the document is, what sticks out, and how narrow table cells got. */
function measureLayout([viewportWidth, crampedPx]: [number, number]): Layout {
  const doc = document.documentElement;
  const scrollWidth = Math.max(doc.scrollWidth, document.body.scrollWidth);
  const describe = (e: PageElement) => {
    const text = (e.textContent ?? '').replace(/\s+/g, ' ').trim();
    return `<${e.tagName.toLowerCase()}>${text ? ` "${text.length > 60 ? `${text.slice(0, 57)}...` : text}"` : ''}`;
  };
  let culprit: string | undefined;
  if (scrollWidth > viewportWidth) {
    const sticking = [...document.body.querySelectorAll('*')].filter((e) => e.getBoundingClientRect().right > viewportWidth + 1);
    const innermost = sticking.find((e) => !sticking.some((other) => other !== e && e.contains(other)));
    if (innermost) culprit = describe(innermost);
  }
  const cells = [...document.body.querySelectorAll('td, th')].filter((e) => /\p{L}{6,}/u.test(e.textContent ?? '') && e.querySelectorAll('td, th').length === 0);
  const crampedCells = cells.filter((e) => e.getBoundingClientRect().width < crampedPx).length;
  return { scrollWidth, culprit, crampedCells, cells: cells.length };
}

// Types for the function above, which runs in the browser (the project's lib has no DOM).
interface PageElement {
  getBoundingClientRect(): { right: number; width: number };
  contains(other: unknown): boolean;
  querySelectorAll(selector: string): PageElement[];
  textContent: string | null;
  tagName: string;
}
declare const document: { documentElement: { scrollWidth: number }; body: { scrollWidth: number; querySelectorAll(selector: string): PageElement[] } };

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
  const browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 60_000, env: toolEnv(env) });
  try {
    for (const { width, label, mobile } of RENDER_WIDTHS) {
      const context = await browser.newContext({ viewport: { width, height: 900 }, isMobile: mobile, hasTouch: mobile, deviceScaleFactor: 1, offline: true, javaScriptEnabled: true });
      try {
        // No network: images and fonts from the internet fail as they do with images blocked.
        await context.route('**/*', (route) => route.abort('blockedbyclient'));
        const page = await context.newPage();
        await page.setContent(html, { waitUntil: 'load', timeout: 30_000 });
        const layout = await page.evaluate(measureLayout, [width, CRAMPED_CELL_PX] as [number, number]);
        if (layout.scrollWidth > width) {
          findings.push({
            status: 'fail',
            message: `at ${width} px (${label}) the email is ${layout.scrollWidth} px wide and scrolls sideways${layout.culprit ? `; the widest part: ${layout.culprit}` : ''}`,
          });
        }
        if (layout.crampedCells > 0) {
          findings.push({
            status: 'warn',
            message: `at ${width} px (${label}) ${layout.crampedCells} of ${layout.cells} table cells are narrower than ${CRAMPED_CELL_PX} px and break words into letters: use fewer columns or split the table`,
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
