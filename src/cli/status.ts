import type { Command } from 'commander';
import path from 'node:path';
import { FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import type { Db } from '../store/db.js';
import type { CampaignStatus } from '../store/status.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Delivery counts by state for an issue, and the addresses that failed, are unknown or deferred')
    .argument('<issue>', 'the issue file or its slug')
    .option('--json', 'print {slug, pending, sending, sent, deferred, failed, unknown, skipped, total, bounced, complained, problems: [...]}')
    .action(async (ref: string, flags: { json?: boolean }) => {
      const out = createOutput({ json: flags.json });
      const { openDb } = await import('../store/db.js');
      const { campaignStatus } = await import('../store/status.js');
      const db = openDb(settings().dbPath);
      const slug = await campaignSlug(db, ref);
      const status = slug === undefined ? undefined : campaignStatus(db, slug);
      if (!status || status.total === 0) {
        const scheduled = status?.campaignState === 'scheduled' && status.sendAt ? ` (it is scheduled for ${status.sendAt})` : '';
        throw new FintechWeeklyError(`issue "${slug ?? ref}" has not been sent: no deliveries are recorded for it${scheduled}`, {
          hint: `Send it with "fintechweekly send ${ref}"; "fintechweekly send ${ref} --dry-run" shows what would happen.`,
        });
      }
      const { campaignBounceCounts } = await import('../store/bounces.js');
      const returned = campaignBounceCounts(db, status.slug);
      const { counts, problems, ...campaign } = status;
      out.result({ ...campaign, ...counts, ...returned, problems });
      if (!out.json) {
        print(out, status);
        out.print(`  bounced ${returned.bounced}, complained ${returned.complained} (from returned mail read by \`bounces scan\` or dispatch)`);
      }
    });
}

/**
 * The campaign an editor means: a slug the store knows, or an issue file, found by the path it
 * was sent from or by its slug (front matter `slug`, else the file name).
 */
async function campaignSlug(db: Db, ref: string): Promise<string | undefined> {
  const { campaignStatus, findCampaignSlugByIssuePath } = await import('../store/status.js');
  if (campaignStatus(db, ref)) return ref;
  const { readIssueFile, resolveIssueRef, slugFromFileName } = await import('../pipeline/issue-files.js');
  const project = settings();
  const file = resolveIssueRef(project, ref);
  const byPath = findCampaignSlugByIssuePath(db, path.relative(project.root, file));
  if (byPath) return byPath;
  try {
    return readIssueFile(project, file).slug;
  } catch (error) {
    // A file whose front matter is broken is still asked about by its name; `build` reports what is wrong with it.
    if (!isFintechWeeklyError(error)) throw error;
    return slugFromFileName(file);
  }
}

function print(out: Output, status: CampaignStatus): void {
  const { counts } = status;
  out.print(`${out.paint('bold', status.slug)}: "${status.subject}" (${status.campaignState}${status.finishedAt ? `, finished ${status.finishedAt}` : status.startedAt ? `, started ${status.startedAt}` : ''})`);
  out.print(
    `  sent ${out.paint('green', String(counts.sent))}, pending ${counts.pending}, sending ${counts.sending}, deferred ${counts.deferred}, ` +
      `failed ${counts.failed ? out.paint('red', String(counts.failed)) : 0}, unknown ${counts.unknown}, skipped ${counts.skipped}; ${status.total} in all`,
  );
  for (const state of ['failed', 'unknown', 'deferred'] as const) {
    const rows = status.problems.filter((p) => p.state === state);
    if (rows.length === 0) continue;
    out.print(`${state}:`);
    for (const p of rows) {
      const reply = p.lastReply ?? (state === 'unknown' ? 'connection lost after the message was handed over; not resent without --retry-unknown' : 'no reply recorded');
      const next = state === 'deferred' && p.nextAttemptAt ? `; next attempt after ${p.nextAttemptAt}` : '';
      out.print(`  ${p.email}  ${reply}  (${p.attempts} attempt${p.attempts === 1 ? '' : 's'}${next})`);
    }
  }
  if (counts.deferred + counts.unknown + counts.pending + counts.sending > 0) {
    out.print(`Run "fintechweekly send ${status.slug}" again to resume; it never sends twice to an address marked sent.`);
  }
}
