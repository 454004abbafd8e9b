import type { Settings } from '../config/load.js';
import { withStore } from '../store/db.js';
import { listSchedules, type ScheduleEntry } from '../store/schedule.js';
import { syncFrontMatterSchedules } from './sync-front-matter-schedules.js';

export interface ScheduleListReport {
  /** Pending schedules first by time, then running, then done, then cancelled. */
  entries: ScheduleEntry[];
  /** Issues whose front matter could not be read or whose send_at was not used, with why. */
  problems: { file: string; message: string }[];
}

/**
 * `schedule list`: what is scheduled, being sent and done, with delivery counts. Front matter
 * `send_at` schedules are brought up to date first, so the list shows what `dispatch` would do.
 */
export async function listScheduledIssues(settings: Settings, deps: { now: () => Date }): Promise<ScheduleListReport> {
  return withStore(settings.dbPath, (db) => {
    const { problems } = syncFrontMatterSchedules(settings, db, deps.now());
    return { entries: listSchedules(db), problems };
  });
}
