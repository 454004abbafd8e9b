import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { ScheduleEntry } from '../store/schedule.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

interface ScheduleFlags {
  at?: string;
  now?: boolean;
  json?: boolean;
}

export function registerSchedule(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('Schedule an issue for `dispatch` (run by cron) to send; `schedule list`, `schedule cancel ISSUE`')
    .argument('[issue]', 'issue file or slug')
    .option('--at <when>', 'ISO 8601 date and time, e.g. 2026-12-01T07:00 (read in the config\'s timezone) or 2026-12-01T07:00+07:00')
    .option('--now', 'send at the next dispatch; with --at, accept a time in the past')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (ref: string | undefined, flags: ScheduleFlags) => {
      if (ref === undefined) throw new UsageError('which issue? `fintechweekly schedule ISSUE --at WHEN`', { hint: 'Or `fintechweekly schedule list` to see what is scheduled.' });
      await scheduleAction(ref, flags);
    });

  schedule
    .command('list')
    .description('What is scheduled, being sent and done, with delivery counts')
    .option('--json', 'print [{slug, status, sendAt, counts, ...}] on stdout')
    // `schedule list --json` hands --json to `schedule` itself: read it from either.
    .action(async (_flags: { json?: boolean }, command: Command) => listAction(command.optsWithGlobals()));

  schedule
    .command('cancel')
    .description('Take an issue off the schedule (it is not sent until scheduled or sent again)')
    .argument('<issue>', 'issue file or slug')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (ref: string, _flags: { json?: boolean }, command: Command) => cancelAction(ref, command.optsWithGlobals()));
}

async function scheduleAction(ref: string, flags: ScheduleFlags): Promise<void> {
  const out = createOutput({ json: flags.json });
  if (flags.at === undefined && !flags.now) {
    throw new UsageError('say when: --at WHEN (ISO 8601) or --now', { hint: 'e.g. `fintechweekly schedule ISSUE --at 2026-12-01T07:00`' });
  }
  const project = settings();
  const zone = project.config.timezone;
  const { scheduleIssue } = await import('../app/schedule-issue.js');
  const { describeInstant } = await import('../core/schedule-time.js');
  const scheduled = await scheduleIssue(
    project,
    { ref, at: flags.at, allowPast: flags.now ?? false, cwd: process.cwd() },
    { now: () => new Date(), onWarning: ({ file, message }) => out.warn(`${file}: ${message}`) },
  );
  const { slug, subject, local, previousSendAt } = scheduled;
  const moved = previousSendAt ? ` (moved from ${describeInstant(new Date(previousSendAt), zone)})` : '';
  const due = scheduled.due ? ' (due now: the next `fintechweekly dispatch` sends it)' : '';
  out.info(`scheduled ${slug} "${subject}" for ${local}${moved}${due}`);
  if (scheduled.frontMatterSendAt !== undefined) out.warn(`the front matter's send_at (${scheduled.frontMatterSendAt}) no longer applies: this schedule replaces it`);
  if (scheduled.ambiguous) out.warn(`${flags.at} happens twice in ${zone} (the clocks go back that night): the first one was taken; add an offset to pick the other`);
  out.result({ slug, issue: scheduled.issue, subject, sendAt: scheduled.sendAt, local, timezone: scheduled.timezone, previousSendAt });
}

async function listAction(flags: { json?: boolean }): Promise<void> {
  const out = createOutput({ json: flags.json });
  const project = settings();
  const { listScheduledIssues } = await import('../app/list-scheduled-issues.js');
  const { entries, problems } = await listScheduledIssues(project, { now: () => new Date() });
  for (const problem of problems) out.warn(problem.message);
  out.result(entries);
  if (!out.json) await printList(out, entries, project.config.timezone);
}

const GROUPS = [
  ['scheduled', 'pending'],
  ['sending', 'running (or interrupted, or waiting for deferred retries)'],
  ['done', 'done'],
  ['cancelled', 'cancelled'],
] as const;

async function printList(out: Output, entries: ScheduleEntry[], zone: string): Promise<void> {
  const { describeInstant } = await import('../core/schedule-time.js');
  if (entries.length === 0) {
    out.print('nothing is scheduled and nothing has been sent. Schedule an issue with `fintechweekly schedule ISSUE --at WHEN`.');
    return;
  }
  for (const [status, title] of GROUPS) {
    const group = entries.filter((e) => e.status === status);
    if (group.length === 0) continue;
    out.print(`${out.paint('bold', title)} (${group.length}):`);
    for (const e of group) {
      const c = e.counts;
      const by = e.scheduledBy === 'front-matter' ? ', from front matter send_at' : '';
      const total = Object.values(c).reduce((a, b) => a + b, 0);
      const counts = total > 0 ? `\n    sent ${c.sent}, pending ${c.pending + c.sending}, deferred ${c.deferred}, failed ${c.failed}, unknown ${c.unknown}, skipped ${c.skipped}` : '';
      const time =
        status === 'done' && e.finishedAt
          ? `finished ${describeInstant(new Date(e.finishedAt), zone)}`
          : e.sendAt
            ? `${status === 'scheduled' ? 'at' : 'scheduled for'} ${describeInstant(new Date(e.sendAt), zone)}${by}`
            : e.startedAt
              ? `sent by hand, started ${describeInstant(new Date(e.startedAt), zone)}`
              : '';
      out.print(`  ${e.slug}  "${e.subject}"  ${time}${counts}`);
    }
  }
}

async function cancelAction(ref: string, flags: { json?: boolean }): Promise<void> {
  const out = createOutput({ json: flags.json });
  const project = settings();
  const { cancelScheduledIssue } = await import('../app/cancel-scheduled-issue.js');
  const { describeInstant } = await import('../core/schedule-time.js');
  const cancelled = await cancelScheduledIssue(project, { ref, cwd: process.cwd() }, { now: () => new Date() });
  const { slug, sendAt } = cancelled;
  out.info(`cancelled ${slug}${sendAt ? ` (it was scheduled for ${describeInstant(new Date(sendAt), project.config.timezone)})` : ''}`);
  out.result(cancelled);
}
