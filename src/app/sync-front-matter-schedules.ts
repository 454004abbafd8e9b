import path from 'node:path';
import type { Settings } from '../config/load.js';
import { isFintechWeeklyError } from '../core/errors.js';
import { describeInstant, parseScheduleTime } from '../core/schedule-time.js';
import { findCampaign } from '../store/campaigns.js';
import type { Db } from '../store/db.js';
import { syncFrontMatterSchedule, type FrontMatterScheduleChange } from '../store/schedule.js';
import { listIssueFiles, readIssueFile } from '../pipeline/issue-files.js';

/**
 * A front matter `send_at` schedules its issue just like `schedule ISSUE --at`. `dispatch` and
 * `schedule list` read every issue's front matter (no rendering, no MJML) and bring the schedule
 * in line with it.
 */

/**
 * A send_at that is already this far in the past when first seen is not scheduled: an old issue
 * that went out some other way must not be mailed to everyone the day cron is installed. Shorter
 * outages (cron stopped for a few hours) still send late rather than never.
 */
export const FRONT_MATTER_GRACE_MS = 24 * 60 * 60 * 1000;

export interface FrontMatterScheduleReport {
  changes: (FrontMatterScheduleChange & { slug: string; file: string })[];
  /** Issues whose front matter could not be read or whose send_at was not used, with why. */
  problems: { file: string; message: string }[];
}

export function syncFrontMatterSchedules(settings: Settings, db: Db, now: Date): FrontMatterScheduleReport {
  const report: FrontMatterScheduleReport = { changes: [], problems: [] };
  const zone = settings.config.timezone;
  for (const file of listIssueFiles(settings)) {
    const shown = path.relative(settings.root, file) || file;
    try {
      const { slug, parsed } = readIssueFile(settings, file);
      const text = parsed.frontMatter.send_at;
      let sendAt = text === undefined ? undefined : parseScheduleTime(text, zone, `${shown}: send_at`).instant;
      if (sendAt && now.getTime() - sendAt.getTime() > FRONT_MATTER_GRACE_MS && !findCampaign(db, slug)) {
        report.problems.push({
          file: shown,
          message: `${shown}: send_at ${describeInstant(sendAt, zone)} is more than a day in the past; not scheduling it (use \`fintechweekly schedule ${slug} --now\` to send it anyway)`,
        });
        sendAt = undefined;
      }
      const change = syncFrontMatterSchedule(db, { slug, issuePath: path.relative(settings.root, file), subject: parsed.subject, sendAt, now });
      if (change) report.changes.push({ ...change, slug, file: shown });
    } catch (error) {
      if (!isFintechWeeklyError(error)) throw error;
      report.problems.push({ file: shown, message: error.message.split('\n')[0] ?? error.message });
    }
  }
  return report;
}
