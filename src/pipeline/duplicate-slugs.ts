import type { Settings } from '../config/load.js';
import { isFintechWeeklyError } from '../core/errors.js';
import { readIssueFile, resolveIssueRef } from './issue-files.js';

/**
 * Issues in one build that would write the same dist/<slug>/ folder: the second and later of each
 * slug, by position in `refs`, with a message. Issues that cannot be read are left to the build.
 */
export function duplicateSlugs(settings: Settings, refs: readonly string[]): Map<number, string> {
  const owners = new Map<string, string>();
  const duplicates = new Map<number, string>();
  refs.forEach((ref, index) => {
    try {
      const { shown, slug } = readIssueFile(settings, resolveIssueRef(settings, ref));
      const owner = owners.get(slug);
      if (owner === undefined) owners.set(slug, shown);
      else if (owner !== shown) duplicates.set(index, `${shown}: slug: "${slug}" is already the slug of ${owner}; each issue needs its own (it names the output folder)`);
    } catch (error) {
      if (!isFintechWeeklyError(error)) throw error;
    }
  });
  return duplicates;
}
