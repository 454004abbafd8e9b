import path from 'node:path';
import type { Settings } from '../config/load.js';
import { assertScheduleNotPast, describeInstant, parseScheduleTime } from '../core/schedule-time.js';
import { buildIssue } from '../pipeline/build-issue.js';
import { resolveIssueRef } from '../pipeline/issue-files.js';
import { withStore } from '../store/db.js';
import { scheduleCampaign } from '../store/schedule.js';

export interface ScheduleIssueInput {
  /** The issue file or its slug. */
  ref: string;
  /** ISO 8601, read in the config's time zone when it has no offset; undefined: now. */
  at: string | undefined;
  /** Accept a time in the past (it is due at once). */
  allowPast: boolean;
  /** Where the editor stands: the issue is looked for, and its path shown, relative to it. */
  cwd: string;
}

export interface ScheduleIssueDeps {
  now: () => Date;
  /** The build's warnings about the issue (file relative to cwd), as soon as it is built. */
  onWarning?: (warning: { file: string; message: string }) => void;
}

export interface ScheduleReport {
  slug: string;
  /** The issue file, relative to the project. */
  issue: string;
  subject: string;
  /** ISO 8601 UTC. */
  sendAt: string;
  /** sendAt in the config's zone and in UTC, as editors read it. */
  local: string;
  timezone: string;
  /** When the issue was already scheduled: the time this schedule replaced. */
  previousSendAt: string | null;
  /** The time has come: the next dispatch sends it. */
  due: boolean;
  /** The front matter's own send_at, which this schedule overrides. */
  frontMatterSendAt: string | undefined;
  /** The wall time happens twice in the zone (the clocks go back) and the first one was taken. */
  ambiguous: boolean;
}

/**
 * `schedule ISSUE --at WHEN`: for `dispatch` to send. The issue is built now, so that a problem
 * in it shows while the editor is at the desk, not at send time in the middle of the night.
 * Scheduling an issue again moves its one schedule.
 */
export async function scheduleIssue(settings: Settings, input: ScheduleIssueInput, deps: ScheduleIssueDeps): Promise<ScheduleReport> {
  const zone = settings.config.timezone;
  const now = deps.now();
  const parsed = input.at === undefined ? { instant: now, ambiguous: false } : parseScheduleTime(input.at, zone);
  assertScheduleNotPast(parsed.instant, now, input.allowPast, zone);

  const built = await buildIssue(settings, resolveIssueRef(settings, input.ref, input.cwd));
  for (const warning of built.warnings) deps.onWarning?.({ file: path.relative(input.cwd, built.file), message: warning.message });

  const issuePath = path.relative(settings.root, built.file);
  const { previousSendAt } = await withStore(settings.dbPath, (db) =>
    scheduleCampaign(db, { slug: built.slug, issuePath, subject: built.subject, sendAt: parsed.instant, now }),
  );
  return {
    slug: built.slug,
    issue: issuePath,
    subject: built.subject,
    sendAt: parsed.instant.toISOString(),
    local: describeInstant(parsed.instant, zone),
    timezone: zone,
    previousSendAt,
    due: parsed.instant.getTime() <= now.getTime(),
    frontMatterSendAt: built.frontMatter.send_at,
    ambiguous: parsed.ambiguous,
  };
}
