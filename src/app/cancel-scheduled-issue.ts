import type { Settings } from '../config/load.js';
import { readIssueFile, resolveIssueRef } from '../pipeline/issue-files.js';
import { findCampaign } from '../store/campaigns.js';
import { withStore } from '../store/db.js';
import { cancelSchedule } from '../store/schedule.js';

export interface CancelReport {
  slug: string;
  cancelled: true;
  /** When it was to be sent (ISO 8601 UTC). */
  sendAt: string | null;
}

/**
 * `schedule cancel ISSUE`: the issue is not sent until it is scheduled or sent again. ISSUE is a
 * slug the schedule knows, or an issue file (its slug is read from the front matter, no render).
 */
export async function cancelScheduledIssue(settings: Settings, input: { ref: string; cwd: string }, deps: { now: () => Date }): Promise<CancelReport> {
  return withStore(settings.dbPath, (db) => {
    const slug = findCampaign(db, input.ref) ? input.ref : readIssueFile(settings, resolveIssueRef(settings, input.ref, input.cwd)).slug;
    const { sendAt } = cancelSchedule(db, slug, deps.now());
    return { slug, cancelled: true, sendAt };
  });
}
