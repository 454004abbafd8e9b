import type { Command } from 'commander';
import { EXIT } from '../core/errors.js';
import { describeInstant } from '../core/schedule-time.js';
import type { DispatchEvent, DispatchReport } from '../app/dispatch.js';
import type { SendEvent } from '../app/send-issue.js';
import { settings } from './context.js';

/**
 * `dispatch`, for cron: sends what is due and exits. Written for a log file: every line starts
 * with a timestamp, no colour, no progress bar, whether or not a terminal is attached.
 */
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
      const [{ dispatch }, { withStore }, { campaignSummaryText, countsText, createSendProgress, stoppedText }, { stopSignals }] = await Promise.all([
        import('../app/dispatch.js'),
        import('../store/db.js'),
        import('./send-report.js'),
        import('./stop-signals.js'),
      ]);
      const progress = new Map<string, (event: SendEvent) => void>();
      const onEvent = (event: DispatchEvent) => {
        if (event.type === 'front-matter') {
          for (const problem of event.report.problems) logError(`warning: ${problem.message}`);
          for (const c of event.report.changes) {
            if (c.change === 'unscheduled') log(`${c.slug}: send_at removed from ${c.file}: no longer scheduled`);
            else log(`${c.slug}: ${c.change} by send_at in ${c.file} for ${describeInstant(new Date(c.sendAt), zone)}`);
          }
        } else if (event.type === 'busy') {
          const { holder } = event;
          log(`${event.slug}: being sent by another process (${holder.pid} on ${holder.host}, since ${holder.acquiredAt}); left to it`);
        } else if (event.type === 'campaign') {
          const { slug, reason, sendAt } = event.campaign;
          const what = { scheduled: `sending (scheduled for ${sendAt ? describeInstant(new Date(sendAt), zone) : 'now'})`, interrupted: 'resuming an unfinished send', deferred: 'retrying deferred deliveries' }[reason];
          log(`${slug}: ${what}`);
          progress.set(slug, createSendProgress({ info: log, warn: (line) => logError(`warning: ${line}`) }, { prefix: `${slug}: `, everyMs: 10_000 }).onEvent);
        } else if (event.type === 'check') log(`${event.slug}: ${event.line}`);
        else if (event.type === 'send') progress.get(event.slug)?.(event.event);
        else if (event.type === 'sent') log(campaignSummaryText(event.report));
        else if (event.type === 'bounce') {
          const m = event.message;
          for (const problem of m.problems) logError(`bounces: ${m.file}: ${problem}`);
          if (m.decision === 'bounced' || m.decision === 'unsubscribed') log(`bounces: ${m.delivery?.address} ${m.decision === 'bounced' ? 'set to bounced' : 'unsubscribed (complaint)'} (${m.file})`);
        } else if (event.type === 'bounces') {
          const r = event.report;
          log(
            `bounces: ${r.messages} message${r.messages === 1 ? '' : 's'} read from ${r.source}: ${r.kinds.bounce} bounces, ${r.kinds.complaint} complaints, ${r.matched} matched, ${r.unmatched} unmatched; ` +
              `${r.bounced} set to bounced, ${r.unsubscribed} unsubscribed, ${r.counted} soft bounces counted`,
          );
        } else if (event.type === 'bounces-warning') logError(`bounces: warning: ${event.line}`);
        else if (event.type === 'bounces-error') logError(`bounces: error: ${event.error.message}${event.error.hint ? ` (hint: ${event.error.hint})` : ''}`);
        else {
          const { error } = event;
          logError(`${event.slug}: error: ${error.message.replaceAll('\n', ' / ')}${error.hint ? ` (hint: ${error.hint})` : ''}`);
        }
      };

      const stop = stopSignals();
      stop.listen();
      let report: DispatchReport;
      try {
        report = await withStore(project.dbPath, (db) => dispatch(project, { env: process.env }, { store: db, now: () => new Date(), onEvent, signals: stop.signals }));
      } finally {
        stop.dispose();
      }
      if (!report.ran) {
        const { otherDispatch: holder } = report;
        log(`dispatch: another dispatch is running (process ${holder.pid} on ${holder.host}, since ${holder.acquiredAt}); nothing to do`);
        result({ ran: false, otherDispatch: holder });
        return;
      }
      const { campaigns, frontMatter, totals, next, stopped, bounces } = report;
      const bounceError = bounces !== undefined && 'error' in bounces;
      if (campaigns.length === 0 && !stopped) {
        log(`dispatch: nothing due${next ? ` (next: ${next.slug} at ${describeInstant(new Date(next.sendAt), zone)})` : ''}`);
        result({ ran: true, campaigns: [], frontMatter, bounces });
        if (bounceError) process.exitCode = EXIT.error;
        return;
      }
      const errors = campaigns.filter((r) => r.outcome === 'error').length;
      const incomplete = campaigns.filter((r) => r.outcome === 'incomplete').length;
      log(
        `dispatch: ${campaigns.length} campaign${campaigns.length === 1 ? '' : 's'}: ${countsText(totals)}` +
          `; ${errors} error${errors === 1 ? '' : 's'}${incomplete ? `; ${incomplete} with deferred or unknown deliveries left` : ''}`,
      );
      const workLeft = incomplete > 0 || (stopped !== undefined && stopped.notStarted.length > 0);
      if (stopped) {
        const notYetSent = campaigns.reduce((n, c) => n + (c.summary?.stopped ? c.summary.log.pending : 0), 0);
        const waiting = stopped.notStarted.length ? ` (not started: ${stopped.notStarted.join(', ')})` : '';
        log(`dispatch: ${stoppedText(stopped.reason, notYetSent, `run \`fintechweekly dispatch\` again${waiting}`)}`);
      }
      const exitCode = errors > 0 || bounceError ? EXIT.error : workLeft ? EXIT.tempfail : EXIT.ok;
      result({ ran: true, campaigns, totals, frontMatter, bounces, exitCode });
      process.exitCode = exitCode;
    });
}
