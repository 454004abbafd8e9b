import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import { readIssueFile, resolveIssueRef, slugFromFileName } from '../pipeline/issue-files.js';
import { withStore, type Db } from '../store/db.js';
import { campaignBounceCounts } from '../store/bounces.js';
import { campaignStatus, findCampaignSlugByIssuePath, type CampaignStatus } from '../store/status.js';

/**
 * `status ISSUE`: where the issue's send stands, its deliveries counted by state and the ones an
 * editor should look at. An issue nothing was sent of is an error that says how to send it.
 */
export async function campaignStatusOf(settings: Settings, input: { ref: string; cwd: string }): Promise<CampaignStatus & { returned: { bounced: number; complained: number } }> {
  const { ref } = input;
  return withStore(settings.dbPath, (db) => {
    const slug = campaignSlug(settings, db, ref, input.cwd);
    const status = slug === undefined ? undefined : campaignStatus(db, slug);
    if (!status || status.total === 0) {
      const scheduled = status?.campaignState === 'scheduled' && status.sendAt ? ` (it is scheduled for ${status.sendAt})` : '';
      throw new FintechWeeklyError(`issue "${slug ?? ref}" has not been sent: no deliveries are recorded for it${scheduled}`, {
        hint: `Send it with "fintechweekly send ${ref}"; "fintechweekly send ${ref} --dry-run" shows what would happen.`,
      });
    }
    // Deliveries that came back later as a bounce or drew a complaint (bounces scan, dispatch).
    return { ...status, returned: campaignBounceCounts(db, status.slug) };
  });
}

/**
 * The campaign an editor means: a slug the store knows, or an issue file, found by the path it
 * was sent from or by its slug (front matter `slug`, else the file name).
 */
function campaignSlug(settings: Settings, db: Db, ref: string, cwd: string): string | undefined {
  if (campaignStatus(db, ref)) return ref;
  const file = resolveIssueRef(settings, ref, cwd);
  const byPath = findCampaignSlugByIssuePath(db, path.relative(settings.root, file));
  if (byPath) return byPath;
  try {
    return readIssueFile(settings, file).slug;
  } catch (error) {
    // A file whose front matter is broken is still asked about by its name; `build` reports what is wrong with it.
    if (!isFintechWeeklyError(error)) throw error;
    return slugFromFileName(file);
  }
}
