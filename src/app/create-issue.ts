import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError } from '../core/errors.js';
import { scaffoldIssue } from '../core/issue/scaffold.js';
import { calendarDateIn } from '../core/schedule-time.js';

export interface CreateIssueInput {
  title: string;
  /** YYYY-MM-DD; default: today in the config's time zone. */
  date?: string | undefined;
  /** The original article's URL ("Lihat Asli"). */
  source?: string | undefined;
  /** Where the editor stands: paths in messages are relative to it. */
  cwd: string;
}

/**
 * `new`: writes issues/<date>-<slug>.md with its front matter and a body to fill in. Never
 * overwrites: an issue that exists already is an error, and nothing is written.
 */
export async function createIssue(settings: Settings, input: CreateIssueInput, deps: { now: () => Date }): Promise<{ file: string }> {
  const date = input.date ?? calendarDateIn(deps.now(), settings.config.timezone);
  const { fileName, text } = scaffoldIssue({ title: input.title, date, source: input.source, lang: settings.config.lang });
  const dir = path.resolve(settings.root, settings.config.paths.issues);
  const file = path.join(dir, fileName);
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FintechWeeklyError(`${path.relative(input.cwd, file)} already exists; nothing was written`, { file, hint: 'Edit that file, or choose another --title or --date.' });
    }
    throw error;
  }
  return { file };
}
