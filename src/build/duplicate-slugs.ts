import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { isFintechWeeklyError } from '../core/errors.js';
import { decodeIssue, parseIssue } from '../core/front-matter.js';
import { resolveIssueRef, slugFromFileName } from './issue-files.js';

/**
 * Issues in one build that would write the same dist/<slug>/ folder: the second and later of each
 * slug, by position in `refs`, with a message. Issues that cannot be read are left to the build.
 */
export function duplicateSlugs(settings: Settings, refs: readonly string[]): Map<number, string> {
  const owners = new Map<string, string>();
  const duplicates = new Map<number, string>();
  refs.forEach((ref, index) => {
    try {
      const file = resolveIssueRef(settings, ref);
      const shown = path.relative(settings.root, file) || file;
      const parsed = parseIssue(decodeIssue(readFileSync(file), shown), { file: shown, defaultLang: settings.config.lang });
      const slug = parsed.frontMatter.slug ?? slugFromFileName(file);
      const owner = owners.get(slug);
      if (owner === undefined) owners.set(slug, shown);
      else if (owner !== shown) duplicates.set(index, `${shown}: slug: "${slug}" is already the slug of ${owner}; each issue needs its own (it names the output folder)`);
    } catch (error) {
      if (!isFintechWeeklyError(error)) throw error;
    }
  });
  return duplicates;
}
