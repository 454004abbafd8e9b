import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { calendarDateIn } from '../core/schedule-time.js';
import { settings } from './context.js';
import { createOutput } from './output.js';

interface NewFlags {
  title?: string;
  date?: string;
  source?: string;
  yes?: boolean;
}

export function registerNew(program: Command): void {
  program
    .command('new')
    .description('Start a new issue: writes issues/<date>-<slug>.md with its front matter (never overwrites)')
    .option('--title <title>', 'the headline')
    .option('--date <YYYY-MM-DD>', 'the issue date (default: today in the config\'s time zone)')
    .option('--source <url>', 'URL of the original article ("Lihat Asli" button)')
    .option('-y, --yes', 'do not ask: use the flags and defaults')
    .action(async (flags: NewFlags) => {
      const out = createOutput();
      const project = settings();
      const interactive = !flags.yes && Boolean(process.stdin.isTTY && process.stdout.isTTY);
      let { title, date, source } = flags;
      if (interactive) {
        const { input } = await import('@inquirer/prompts');
        const { checkScaffoldField } = await import('../core/issue/scaffold.js');
        title ??= await input({ message: 'Title (headline):', required: true, validate: (v) => checkScaffoldField('title', v) });
        date ??= await input({ message: 'Date (YYYY-MM-DD):', default: calendarDateIn(new Date(), project.config.timezone), validate: (v) => checkScaffoldField('date', v) });
        source ??= (await input({ message: 'Source URL for "Lihat Asli" (empty for none):', validate: (v) => v === '' || checkScaffoldField('source', v) })) || undefined;
      }
      if (!title) throw new UsageError('--title is required', { hint: 'Run it in a terminal to be asked, or pass --title "..." (with --yes in scripts).' });
      const { createIssue } = await import('../app/create-issue.js');
      const { file } = await createIssue(project, { title, date, source, cwd: process.cwd() }, { now: () => new Date() });
      const shown = path.relative(process.cwd(), file);
      out.info(`created ${shown}`);
      out.print(`next: edit it, then run: fintechweekly preview ${shown}`);
    });
}
