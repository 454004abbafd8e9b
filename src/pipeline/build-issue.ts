import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import type { Lang } from '../config/schema.js';
import type { FrontMatter } from '../core/issue/front-matter.js';
import { PREVIEW_TOKEN, UNSUBSCRIBE_TOKEN_MARKER } from '../core/message/placeholders.js';
import type { IssueRenderer } from '../core/issue/render-issue.js';
import type { BuildWarning } from '../core/issue/warnings.js';
import { readIssueFile, resolveIssueRef } from './issue-files.js';
import { mjmlCompiler } from './mjml-compiler.js';
import { packageVersion } from '../config/package-version.js';
import { readTemplate, type LoadedTemplate } from './template-files.js';
import { writeAllOrNothing } from './write-all-or-nothing.js';

export interface BuiltIssue {
  slug: string;
  /** Absolute path of the issue's Markdown file. */
  file: string;
  frontMatter: FrontMatter;
  subject: string;
  preheader: string;
  lang: Lang;
  /** Both contain UNSUBSCRIBE_TOKEN_MARKER wherever a recipient's unsubscribe token goes. */
  html: string;
  text: string;
  warnings: BuildWarning[];
  /** Hash of the issue file, the template, the config and fintechweekly's version. */
  contentHash: string;
  /** The files written for the editor to look at (PREVIEW_TOKEN in place of the marker). */
  outputs: { html: string; text: string };
  /** True when nothing changed since the last build and its output was reused. */
  fromCache: boolean;
}

export interface BuildOptions {
  /** Folder for <slug>/email.html etc. Default: the config's paths.dist. */
  outDir?: string;
}

const CACHE_FILE = '.build.json';
const CACHE_FORMAT = 1;

type CacheRecord = { format: number } & Pick<BuiltIssue, 'contentHash' | 'slug' | 'frontMatter' | 'subject' | 'preheader' | 'lang' | 'html' | 'text' | 'warnings'>;

// One renderer per template version for the whole process: 50 issues parse the template once and
// load MJML once; an unchanged issue whose output is cached loads MJML not at all.
// The renderer's modules (Markdown, sanitizer, template engine, html-to-text) load only for a render.
const renderers = new Map<string, Promise<IssueRenderer>>();

function rendererFor(template: LoadedTemplate): Promise<IssueRenderer> {
  let renderer = renderers.get(template.hash);
  if (!renderer) {
    const compile = mjmlCompiler();
    renderer = import('../core/issue/render-issue.js').then(({ createIssueRenderer }) => createIssueRenderer(template.source, compile));
    renderer.catch(() => renderers.delete(template.hash));
    renderers.set(template.hash, renderer);
  }
  return renderer;
}

/**
 * Builds one issue (a path or a slug) into dist/<slug>/email.html and email.txt, or reuses the
 * previous build when nothing that goes into it changed. Throws FintechWeeklyError for any problem
 * in the issue, the template or the config; nothing is written then.
 */
export async function buildIssue(settings: Settings, ref: string, options: BuildOptions = {}): Promise<BuiltIssue> {
  const file = resolveIssueRef(settings, ref);
  const { bytes, shown: shownFile, parsed, slug } = readIssueFile(settings, file);
  const template = readTemplate(settings);
  const contentHash = createHash('sha256')
    .update(`fintechweekly ${packageVersion()}\0${template.hash}\0${JSON.stringify(settings.config)}\0${slug}\0`)
    .update(bytes)
    .digest('hex');

  const outDir = path.join(path.resolve(settings.root, options.outDir ?? settings.config.paths.dist), slug);
  const outputs = { html: path.join(outDir, 'email.html'), text: path.join(outDir, 'email.txt') };
  const cached = readCache(outDir, contentHash, outputs);
  if (cached) {
    return { slug, file, frontMatter: cached.frontMatter, subject: cached.subject, preheader: cached.preheader, lang: cached.lang, html: cached.html, text: cached.text, warnings: cached.warnings, contentHash, outputs, fromCache: true };
  }

  const renderer = await rendererFor(template);
  const rendered = await renderer.render({ parsed, slug, file: shownFile, config: settings.config });
  const record: CacheRecord = {
    format: CACHE_FORMAT,
    contentHash,
    slug,
    frontMatter: parsed.frontMatter,
    subject: parsed.subject,
    preheader: parsed.preheader,
    lang: parsed.lang,
    html: rendered.html,
    text: rendered.text,
    warnings: rendered.warnings,
  };
  // The cache record goes last: if a rename fails halfway, the next build sees no matching record and renders again.
  writeAllOrNothing(outDir, [
    [outputs.html, rendered.html.replaceAll(UNSUBSCRIBE_TOKEN_MARKER, PREVIEW_TOKEN)],
    [outputs.text, rendered.text.replaceAll(UNSUBSCRIBE_TOKEN_MARKER, PREVIEW_TOKEN)],
    [path.join(outDir, CACHE_FILE), JSON.stringify(record)],
  ]);
  return { ...record, file, outputs, fromCache: false };
}

function readCache(outDir: string, contentHash: string, outputs: { html: string; text: string }): CacheRecord | undefined {
  const file = path.join(outDir, CACHE_FILE);
  if (!existsSync(file) || !existsSync(outputs.html) || !existsSync(outputs.text)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as CacheRecord;
    return record.format === CACHE_FORMAT && record.contentHash === contentHash ? record : undefined;
  } catch {
    return undefined; // a damaged cache only costs a rebuild
  }
}

