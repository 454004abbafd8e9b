import path from 'node:path';
import type { Command } from 'commander';
import { EXIT, FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import { describeInstant } from '../core/schedule-time.js';
import type { SendProgress, SendSummary } from '../app/send-issue.js';
import type { ScanBouncesReport } from '../app/scan-bounces.js';
import type { DueCampaign } from '../store/schedule.js';
import { settings } from './context.js';

/**
 * `dispatch`, for cron: sends what is due and exits. Written for a log file: every line starts
 * with a timestamp, no colour, no progress bar, whether or not a terminal is attached.
 */

interface CampaignReport {
  slug: string;
  reason: DueCampaign['reason'];
  outcome: 'sent' | 'incomplete' | 'busy' | 'error';
  summary?: SendSummary;
  error?: string;
}

export function registerDispatch(program: Command): void {
  program
    .command('dispatch')
    .description('For cron: send every scheduled issue that is due, resume interrupted sends, retry deferred deliveries, then exit')
    .option('--json', 'print the result as JSON on stdout (log lines go to stderr)')
    .action(async (flags: { json?: boolean }) => {
      const json = flags.json ?? false;
      const log = (line: string) => (json ? process.stderr : process.stdout).write(`${new Date().toISOString()} ${line}\n`);
      const logError = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const result = (value: unknown) => {
        if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      };

      const project = settings();
      const zone = project.config.timezone;
      const { openDb } = await import('../store/db.js');
      const { acquireLock } = await import('../store/locks.js');
      const db = openDb(project.dbPath);
      try {
        const lock = acquireLock(db, 'dispatch');
        if (!lock.acquired) {
          const { holder } = lock;
          log(`dispatch: another dispatch is running (process ${holder.pid} on ${holder.host}, since ${holder.acquiredAt}); nothing to do`);
          result({ ran: false, otherDispatch: holder });
          return;
        }
        try {
          const { syncFrontMatterSchedules } = await import('../app/sync-front-matter-schedules.js');
          const { dueCampaigns, listSchedules } = await import('../store/schedule.js');
          const frontMatter = syncFrontMatterSchedules(project, db, new Date());
          for (const problem of frontMatter.problems) logError(`warning: ${problem.message}`);
          for (const c of frontMatter.changes) {
            if (c.change === 'unscheduled') log(`${c.slug}: send_at removed from ${c.file}: no longer scheduled`);
            else log(`${c.slug}: ${c.change} by send_at in ${c.file} for ${describeInstant(new Date(c.sendAt), zone)}`);
          }

          // Bounces first: whoever bounced or complained since the last run is not mailed again.
          const bounces = await scanBounceSource();

          const due = dueCampaigns(db, new Date());
          if (due.length === 0) {
            const next = listSchedules(db).find((e) => e.status === 'scheduled' && e.sendAt);
            log(`dispatch: nothing due${next?.sendAt ? ` (next: ${next.slug} at ${describeInstant(new Date(next.sendAt), zone)})` : ''}`);
            result({ ran: true, campaigns: [], frontMatter, bounces });
            if (bounces && 'error' in bounces) process.exitCode = EXIT.error;
            return;
          }

          const reports: CampaignReport[] = [];
          for (const campaign of due) reports.push(await dispatchOne(campaign));
          const totals = { sent: 0, failed: 0, deferred: 0, unknown: 0, skipped: 0 };
          for (const r of reports) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += r.summary?.[key] ?? 0;
          const errors = reports.filter((r) => r.outcome === 'error').length;
          const incomplete = reports.filter((r) => r.outcome === 'incomplete').length;
          log(
            `dispatch: ${reports.length} campaign${reports.length === 1 ? '' : 's'}: sent ${totals.sent}, failed ${totals.failed}, deferred ${totals.deferred}, unknown ${totals.unknown}, skipped ${totals.skipped}` +
              `; ${errors} error${errors === 1 ? '' : 's'}${incomplete ? `; ${incomplete} with deferred or unknown deliveries left` : ''}`,
          );
          const exitCode = errors > 0 || (bounces && 'error' in bounces) ? EXIT.error : incomplete > 0 ? EXIT.tempfail : EXIT.ok;
          result({ ran: true, campaigns: reports, totals, frontMatter, bounces, exitCode });
          process.exitCode = exitCode;
        } finally {
          lock.release();
        }
      } finally {
        db.close();
      }

      /** Config bounce.source, when set; a problem reading it is logged and does not stop the sends. */
      async function scanBounceSource(): Promise<ScanBouncesReport | { error: string } | undefined> {
        const { scanConfiguredBounces } = await import('../app/scan-bounces.js');
        try {
          const report = await scanConfiguredBounces(project, {
            onWarning: (line) => logError(`bounces: warning: ${line}`),
            onMessage: (m) => {
              for (const problem of m.problems) logError(`bounces: ${m.file}: ${problem}`);
              if (m.decision === 'bounced' || m.decision === 'unsubscribed') log(`bounces: ${m.delivery?.address} ${m.decision === 'bounced' ? 'set to bounced' : 'unsubscribed (complaint)'} (${m.file})`);
            },
          });
          if (report) {
            log(
              `bounces: ${report.messages} message${report.messages === 1 ? '' : 's'} read from ${report.source}: ${report.kinds.bounce} bounces, ${report.kinds.complaint} complaints, ${report.matched} matched, ${report.unmatched} unmatched; ` +
                `${report.bounced} set to bounced, ${report.unsubscribed} unsubscribed, ${report.counted} soft bounces counted`,
            );
          }
          return report;
        } catch (error) {
          if (!isFintechWeeklyError(error)) throw error;
          logError(`bounces: error: ${error.message}${error.hint ? ` (hint: ${error.hint})` : ''}`);
          return { error: error.message };
        }
      }

      async function dispatchOne(campaign: DueCampaign): Promise<CampaignReport> {
        const { slug, reason } = campaign;
        const { acquireLock: lockCampaign } = await import('../store/locks.js');
        const { sendIssue } = await import('../app/send-issue.js');
        const { readIssueFile, resolveIssueRef } = await import('../pipeline/issue-files.js');
        // A `send` of this issue started by hand is left alone (sendIssue takes the lock itself;
        // this only tells "busy" apart from an error in the log).
        const probe = lockCampaign(db, `campaign:${slug}`);
        if (!probe.acquired) {
          log(`${slug}: being sent by another process (${probe.holder.pid} on ${probe.holder.host}, since ${probe.holder.acquiredAt}); left to it`);
          return { slug, reason, outcome: 'busy' };
        }
        probe.release();
        try {
          const file = resolveIssueRef(project, path.resolve(project.root, campaign.issuePath));
          const head = readIssueFile(project, file);
          if (head.slug !== slug) {
            throw new FintechWeeklyError(`${campaign.issuePath} is now the issue "${head.slug}", but "${slug}" was scheduled from it`, {
              hint: `Schedule it again under its new slug (\`fintechweekly schedule ${head.slug} --at WHEN\`) and cancel the old one (\`fintechweekly schedule cancel ${slug}\`).`,
            });
          }
          const what = { scheduled: `sending (scheduled for ${campaign.sendAt ? describeInstant(new Date(campaign.sendAt), zone) : 'now'})`, interrupted: 'resuming an unfinished send', deferred: 'retrying deferred deliveries' }[reason];
          log(`${slug}: ${what}`);
          // The same preflight as `send --yes`, before anyone has received the issue; a send
          // already under way is finished as it started.
          if (reason === 'scheduled') await (await import('../app/preflight.js')).refuseFailingIssue(project, file, process.env, new Date(), (line) => log(`${slug}: ${line}`));
          const summary = await sendIssue(project, file, { onProgress: progressLogger(slug) });
          log(
            `${slug}: sent ${summary.sent}, failed ${summary.failed}, deferred ${summary.deferred}, unknown ${summary.unknown}, skipped ${summary.skipped} in ${(summary.durationMs / 1000).toFixed(1)} s` +
              `; send log: ${summary.log.sent} sent, ${summary.log.deferred} deferred, ${summary.log.unknown} unknown, ${summary.log.failed} failed`,
          );
          return { slug, reason, outcome: summary.incomplete ? 'incomplete' : 'sent', summary };
        } catch (error) {
          if (!isFintechWeeklyError(error)) throw error;
          logError(`${slug}: error: ${error.message.replaceAll('\n', ' / ')}${error.hint ? ` (hint: ${error.hint})` : ''}`);
          return { slug, reason, outcome: 'error', error: error.message };
        }
      }

      function progressLogger(slug: string): (event: SendProgress) => void {
        let lastLine = 0;
        return (event) => {
          if (event.type === 'start') {
            if (event.interrupted) log(`${slug}: ${event.interrupted} deliver${event.interrupted === 1 ? 'y was' : 'ies were'} interrupted mid-send by an earlier run: marked unknown, not resent`);
            log(`${slug}: sending to ${event.total} via ${event.transport}`);
          } else if (event.type === 'retry') {
            log(`${slug}: ${event.email} deferred (${event.reply}); retry ${event.attempt + 1} in ${event.delaySeconds} s`);
          } else if (event.type === 'progress' && Date.now() - lastLine >= 10_000 && event.done < event.total) {
            lastLine = Date.now();
            log(`${slug}: ${event.done}/${event.total} done (sent ${event.counts.sent}, failed ${event.counts.failed}, deferred ${event.counts.deferred})`);
          }
        };
      }
    });
}
