import type { Command } from 'commander';
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
      const { campaignStatusOf } = await import('../app/campaign-status.js');
      const status = await campaignStatusOf(settings(), { ref, cwd: process.cwd() });
      const { counts, problems, returned, ...campaign } = status;
      out.result({ ...campaign, ...counts, ...returned, problems });
      if (!out.json) {
        print(out, status);
        out.print(`  bounced ${returned.bounced}, complained ${returned.complained} (from returned mail read by \`bounces scan\` or dispatch)`);
      }
    });
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
