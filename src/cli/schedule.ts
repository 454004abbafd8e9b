import path from 'node:path';
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
  const { assertScheduleNotPast, describeInstant, parseScheduleTime } = await import('../core/schedule-time.js');
  const now = new Date();
  const parsed = flags.at === undefined ? { instant: now, hadOffset: true, ambiguous: false } : parseScheduleTime(flags.at, zone);
  assertScheduleNotPast(parsed.instant, now, flags.now ?? false, zone);

  // Building checks the issue now, not at send time in the middle of the night.
  const { buildIssue } = await import('../pipeline/build-issue.js');
  const built = await buildIssue(project, ref);
  for (const warning of built.warnings) out.warn(`${path.relative(process.cwd(), built.file)}: ${warning.message}`);

  const { openDb } = await import('../store/db.js');
  const { scheduleCampaign } = await import('../store/schedule.js');
  const db = openDb(project.dbPath);
  try {
    const issuePath = path.relative(project.root, built.file);
    const { previousSendAt } = scheduleCampaign(db, { slug: built.slug, issuePath, subject: built.subject, sendAt: parsed.instant, now });
    const when = describeInstant(parsed.instant, zone);
    const moved = previousSendAt ? ` (moved from ${describeInstant(new Date(previousSendAt), zone)})` : '';
    const due = parsed.instant.getTime() <= now.getTime() ? ' (due now: the next `fintechweekly dispatch` sends it)' : '';
    out.info(`scheduled ${built.slug} "${built.subject}" for ${when}${moved}${due}`);
    if (built.frontMatter.send_at !== undefined) out.warn(`the front matter's send_at (${built.frontMatter.send_at}) no longer applies: this schedule replaces it`);
    if (parsed.ambiguous) out.warn(`${flags.at} happens twice in ${zone} (the clocks go back that night): the first one was taken; add an offset to pick the other`);
    out.result({ slug: built.slug, issue: issuePath, subject: built.subject, sendAt: parsed.instant.toISOString(), local: when, timezone: zone, previousSendAt });
  } finally {
    db.close();
  }
}

async function listAction(flags: { json?: boolean }): Promise<void> {
  const out = createOutput({ json: flags.json });
  const project = settings();
  const { openDb } = await import('../store/db.js');
  const { listSchedules } = await import('../store/schedule.js');
  const { syncFrontMatterSchedules } = await import('../app/sync-front-matter-schedules.js');
  const db = openDb(project.dbPath);
  try {
    const report = syncFrontMatterSchedules(project, db, new Date());
    for (const problem of report.problems) out.warn(problem.message);
    const entries = listSchedules(db);
    out.result(entries);
    if (!out.json) await printList(out, entries, project.config.timezone);
  } finally {
    db.close();
  }
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
  const { openDb } = await import('../store/db.js');
  const { cancelSchedule } = await import('../store/schedule.js');
  const { findCampaign } = await import('../store/campaigns.js');
  const { describeInstant } = await import('../core/schedule-time.js');
  const db = openDb(project.dbPath);
  try {
    const slug = findCampaign(db, ref) ? ref : await slugOfIssue(ref);
    const { sendAt } = cancelSchedule(db, slug, new Date());
    out.info(`cancelled ${slug}${sendAt ? ` (it was scheduled for ${describeInstant(new Date(sendAt), project.config.timezone)})` : ''}`);
    out.result({ slug, cancelled: true, sendAt });
  } finally {
    db.close();
  }
}

/** The slug of an issue named by path or file name, from its front matter (no rendering). */
async function slugOfIssue(ref: string): Promise<string> {
  const { readIssueFile, resolveIssueRef } = await import('../pipeline/issue-files.js');
  const project = settings();
  return readIssueFile(project, resolveIssueRef(project, ref)).slug;
}
