import { statSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { isFintechWeeklyError, type FintechWeeklyError } from '../core/errors.js';
import { buildIssue, type BuiltIssue } from '../pipeline/build-issue.js';
import { duplicateSlugs } from '../pipeline/duplicate-slugs.js';
import { listIssueFiles, resolveIssueRef } from '../pipeline/issue-files.js';
import { warmUpMjml } from '../pipeline/mjml-compiler.js';
import { mayNeedRender } from '../pipeline/staleness.js';

export interface BuildIssuesInput {
  /** Issue files or slugs; none means every issue in the issues folder. */
  refs: readonly string[];
  /** Instead of the config's paths.dist, relative to the project. */
  outDir?: string | undefined;
  /** Where the editor stands: refs are found and paths are shown relative to it. */
  cwd: string;
}

/** One issue's outcome; `build --json` prints an array of these. */
export interface IssueBuildReport {
  slug: string | null;
  file: string;
  ok: boolean;
  fromCache?: boolean;
  outputs?: { html: string; text: string };
  bytes?: { html: number; text: number };
  warnings: { code: string; message: string }[];
  errors: string[];
}

export interface BuildReport {
  /** In the order the issues were named (or listed). */
  issues: IssueBuildReport[];
  built: number;
  failed: number;
}

/** An issue that could not be built: what is wrong (one line per problem) and what to do. */
export interface BuildFailure {
  file: string;
  message: string;
  hint: string | undefined;
}

export interface BuildEvents {
  /** Called as soon as an issue fails, while the others are still building. */
  onFailure?: (failure: BuildFailure) => void;
}

/** Issues in flight at once: one renders its Markdown and template while MJML compiles another. */
const CONCURRENCY = 4;

/**
 * `build`: every named issue into <dist>/<slug>/email.html and email.txt, then the web version of
 * each and the archive index. An issue that fails is reported and leaves its previous output
 * alone; the others are built all the same.
 */
export async function buildIssues(settings: Settings, input: BuildIssuesInput, events: BuildEvents = {}): Promise<BuildReport> {
  const { cwd } = input;
  const refs = input.refs.length > 0 ? input.refs : listIssueFiles(settings);
  const located = refs.map((ref) => locate(settings, ref, cwd));
  const files = located.flatMap((l) => (l.file === undefined ? [] : [l.file]));
  if (mayNeedRender(settings, files, input.outDir)) warmUpMjml();
  const duplicates = duplicatesBySlot(settings, located);
  const builtBySlot = new Array<BuiltIssue | undefined>(refs.length);

  const fail = (shown: string, message: string, hint: string | undefined): IssueBuildReport => {
    events.onFailure?.({ file: shown, message, hint });
    return { slug: null, file: shown, ok: false, warnings: [], errors: message.split('\n') };
  };
  const issues = await mapWithConcurrency(located, CONCURRENCY, async ({ ref, file, error }, slot): Promise<IssueBuildReport> => {
    const shown = path.isAbsolute(ref) ? path.relative(cwd, ref) : ref;
    const duplicate = duplicates.get(slot);
    if (duplicate) return fail(shown, duplicate, 'Give one of them another slug: in its front matter, or rename the file.');
    if (file === undefined) return fail(shown, error.message, error.hint);
    try {
      const built = await buildIssue(settings, file, { outDir: input.outDir });
      builtBySlot[slot] = built;
      return {
        slug: built.slug,
        file: path.relative(cwd, built.file),
        ok: true,
        fromCache: built.fromCache,
        outputs: { html: path.relative(cwd, built.outputs.html), text: path.relative(cwd, built.outputs.text) },
        bytes: { html: statSync(built.outputs.html).size, text: statSync(built.outputs.text).size },
        warnings: built.warnings,
        errors: [],
      };
    } catch (caught) {
      if (!isFintechWeeklyError(caught)) throw caught;
      return fail(shown, caught.message, caught.hint);
    }
  });

  const archived = builtBySlot.filter((b): b is BuiltIssue => b !== undefined);
  if (archived.length > 0) {
    const { writeArchive } = await import('../pipeline/archive.js');
    writeArchive(settings, archived, path.resolve(settings.root, input.outDir ?? settings.config.paths.dist));
  }
  const failed = issues.filter((r) => !r.ok).length;
  return { issues, built: issues.length - failed, failed };
}

type Located = { ref: string; file: string; error?: undefined } | { ref: string; file?: undefined; error: FintechWeeklyError };

function locate(settings: Settings, ref: string, cwd: string): Located {
  try {
    return { ref, file: resolveIssueRef(settings, ref, cwd) };
  } catch (error) {
    if (!isFintechWeeklyError(error)) throw error;
    return { ref, error };
  }
}

/** duplicateSlugs over the issues that were found, keyed by their slot among all of them. */
function duplicatesBySlot(settings: Settings, located: readonly Located[]): Map<number, string> {
  const slots = located.flatMap((l, slot) => (l.file === undefined ? [] : [slot]));
  const found = duplicateSlugs(settings, slots.map((slot) => located[slot]?.file as string));
  return new Map([...found].map(([index, message]) => [slots[index] as number, message]));
}

/** Runs `task` over `items` with at most `limit` at a time; results keep the items' order. */
async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
