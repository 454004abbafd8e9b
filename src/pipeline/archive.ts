import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { PREVIEW_TOKEN, UNSUBSCRIBE_TOKEN_MARKER, unsubscribeUrl } from '../core/message/placeholders.js';
import { archiveIndexPage, type ArchiveEntry } from '../serve/pages.js';
import { loadPageStrings } from '../serve/strings.js';
import { writeAllOrNothing } from './write-all-or-nothing.js';

/**
 * The web version of every issue ("view in browser") and the archive page listing them:
 * dist/<slug>/index.html and dist/index.html, plain files any static host can serve (and `serve` does).
 */

/** What the archive needs of a built issue (BuiltIssue from build-issue.ts has all of it). */
export interface ArchivableIssue {
  slug: string;
  subject: string;
  preheader: string;
  lang: string;
  /** The email's HTML, with UNSUBSCRIBE_TOKEN_MARKER where a recipient's token goes. */
  html: string;
  frontMatter: { title: string; date: string };
}

const ENTRY_FILE = 'issue.json';
const PAGE_FILE = 'index.html';

/**
 * The email's HTML for the public web: nobody's unsubscribe token is in it, and the unsubscribe
 * link leads to the archive home instead, so a reader of the web page unsubscribes nobody.
 */
export function webVersionHtml(html: string, publicUrl: string): string {
  const base = publicUrl.replace(/\/+$/, '');
  return html.replaceAll(unsubscribeUrl(base, UNSUBSCRIBE_TOKEN_MARKER), `${base}/`).replaceAll(UNSUBSCRIBE_TOKEN_MARKER, PREVIEW_TOKEN);
}

/** Writes the web version of `issues` and rewrites the archive index over every issue built into `distDir` so far. */
export function writeArchive(settings: Settings, issues: readonly ArchivableIssue[], distDir: string): { pages: string[]; index: string } {
  const pages = issues.map((issue) => {
    const dir = path.join(distDir, issue.slug);
    const entry: ArchiveEntry = {
      slug: issue.slug,
      title: issue.frontMatter.title,
      date: issue.frontMatter.date,
      subject: issue.subject,
      preheader: issue.preheader,
      lang: issue.lang,
    };
    const page = path.join(dir, PAGE_FILE);
    writeAllOrNothing(dir, [
      [page, webVersionHtml(issue.html, settings.config.publicUrl)],
      [path.join(dir, ENTRY_FILE), `${JSON.stringify(entry, null, 2)}\n`],
    ]);
    return page;
  });
  const index = path.join(distDir, PAGE_FILE);
  writeAllOrNothing(distDir, [[index, renderArchiveIndex(settings, readArchiveEntries(distDir))]]);
  return { pages, index };
}

export function renderArchiveIndex(settings: Settings, entries: readonly ArchiveEntry[]): string {
  return archiveIndexPage({ config: settings.config, strings: loadPageStrings(settings, settings.config.lang) }, entries);
}

/** Every issue with a web version in `distDir`, newest first (front matter date, then slug). */
export function readArchiveEntries(distDir: string): ArchiveEntry[] {
  if (!existsSync(distDir)) return [];
  const entries: ArchiveEntry[] = [];
  for (const dirent of readdirSync(distDir, { withFileTypes: true })) {
    if (!dirent.isDirectory()) continue;
    const file = path.join(distDir, dirent.name, ENTRY_FILE);
    if (!existsSync(file) || !existsSync(path.join(distDir, dirent.name, PAGE_FILE))) continue;
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as ArchiveEntry;
      if (entry.slug === dirent.name) entries.push(entry);
    } catch {
      // A half-copied or hand-edited entry only drops that issue from the list; the next build rewrites it.
    }
  }
  return entries.sort((a, b) => (a.date === b.date ? b.slug.localeCompare(a.slug) : b.date.localeCompare(a.date)));
}
