import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError, UsageError } from '../core/errors.js';
import { decodeIssue, parseIssue, type ParsedIssue } from '../core/issue/front-matter.js';

export function issuesDir(settings: Settings): string {
  return path.resolve(settings.root, settings.config.paths.issues);
}

/** Every issue in the issues folder (`*.md`, sorted by name, so by date for dated names). */
export function listIssueFiles(settings: Settings): string[] {
  const dir = issuesDir(settings);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.md') && !name.startsWith('.'))
    .sort()
    .map((name) => path.join(dir, name));
}

/** The slug a file gets when its front matter names none: the file name without `.md`. */
export function slugFromFileName(file: string): string {
  return path.basename(file).replace(/\.md$/i, '');
}

export interface IssueFile {
  /** The file's bytes, as the build's content hash needs them. */
  bytes: Buffer;
  /** The path as messages show it: relative to the project. */
  shown: string;
  parsed: ParsedIssue;
  /** Front matter `slug`, else the file name. */
  slug: string;
}

/** An issue file read and its front matter validated, without rendering it. Throws FintechWeeklyError naming the file. */
export function readIssueFile(settings: Settings, file: string): IssueFile {
  const shown = path.relative(settings.root, file) || file;
  const bytes = readFileSync(file);
  const parsed = parseIssue(decodeIssue(bytes, shown), { file: shown, defaultLang: settings.config.lang });
  return { bytes, shown, parsed, slug: parsed.frontMatter.slug ?? slugFromFileName(file) };
}

/**
 * An issue as the editor names it on the command line: a path (relative to the current folder or
 * the project) or a slug, with or without `.md`. Returns the absolute path of an existing file.
 */
export function resolveIssueRef(settings: Settings, ref: string, cwd = process.cwd()): string {
  const dir = issuesDir(settings);
  const withMd = ref.endsWith('.md') ? ref : `${ref}.md`;
  const candidates = [path.resolve(cwd, ref), path.resolve(settings.root, ref), path.join(dir, withMd)];
  const found = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  if (found) return found;
  // A slug set in the front matter may differ from the file name: the file names usually still start with the date.
  const bySuffix = listIssueFiles(settings).filter((p) => slugFromFileName(p).endsWith(ref));
  if (bySuffix.length === 1 && bySuffix[0]) return bySuffix[0];
  if (bySuffix.length > 1) {
    throw new UsageError(`issue "${ref}" matches several files: ${bySuffix.map((p) => path.relative(cwd, p)).join(', ')}`, { hint: 'Name the file exactly.' });
  }
  throw new FintechWeeklyError(`issue "${ref}" not found (looked for ${path.relative(cwd, path.resolve(cwd, ref)) || ref} and ${path.relative(cwd, path.join(dir, withMd))})`, {
    hint: `Give the path of a Markdown file or its slug; the issues are in ${path.relative(cwd, dir) || '.'}/.`,
  });
}
