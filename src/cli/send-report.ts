import type CliProgress from 'cli-progress';
import type { SendEvent, SendReport } from '../app/send-issue.js';
import type { DeliveryCounts } from '../delivery/send-log.js';
import type { SendCounts } from '../delivery/send-run.js';

/**
 * How `send` and `dispatch` show a send: its progress while it runs and its summary after. `send`
 * gets a progress bar on a terminal; otherwise (and always for `dispatch`, written for a log file)
 * a timestamped line every few seconds.
 */

export interface ReportLines {
  info(line: string): void;
  warn(line: string): void;
}

/** "sent 3, failed 0, deferred 0, unknown 0, skipped 0" */
export function countsText(c: SendCounts): string {
  return `sent ${c.sent}, failed ${c.failed}, deferred ${c.deferred}, unknown ${c.unknown}, skipped ${c.skipped}`;
}

/** The campaign's whole send log: "12 sent, 0 failed, ..., 3 not yet sent". */
export function logText(log: DeliveryCounts): string {
  return `${log.sent} sent, ${log.failed} failed, ${log.deferred} deferred, ${log.unknown} unknown, ${log.skipped} skipped, ${log.pending} not yet sent`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export interface ProgressOptions {
  /** Before every line: "slug: " for dispatch, which may send several campaigns. */
  prefix?: string;
  /** cli-progress, for a bar instead of lines (on a terminal). */
  bar?: typeof CliProgress | undefined;
  /** At most one progress line this often. */
  everyMs: number;
}

/** Turns a send's events into lines (or a bar). stop() ends the bar before the summary is printed. */
export function createSendProgress(lines: ReportLines, options: ProgressOptions): { onEvent: (event: SendEvent) => void; stop: () => void } {
  const prefix = options.prefix ?? '';
  const barModule = options.bar;
  let bar: CliProgress.SingleBar | undefined;
  let lastLine = 0;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const onEvent = (event: SendEvent) => {
    if (event.type === 'start') {
      const n = event.interrupted;
      if (n) lines.warn(`${prefix}${plural(n, 'delivery was', 'deliveries were')} interrupted by an earlier run and may have been delivered: marked unknown (resend them with --retry-unknown)`);
      if (barModule) {
        bar = new barModule.SingleBar({ format: 'sending [{bar}] {percentage}% | {value}/{total} | {rate} msg/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 200 }, barModule.Presets.shades_classic);
        bar.start(event.total, 0, { rate: '0' });
      } else lines.info(`${prefix}sending to ${event.total} via ${event.transport}`);
    } else if (event.type === 'progress') {
      const perSecond = event.elapsedMs > 0 ? (event.done / event.elapsedMs) * 1000 : 0;
      // A slow send (a few messages waiting on retries) would otherwise read "0 msg/s".
      const rate = perSecond.toFixed(perSecond < 10 ? 1 : 0);
      if (bar) bar.update(event.done, { rate });
      else if (Date.now() - lastLine >= options.everyMs || event.done === event.total) {
        lastLine = Date.now();
        lines.info(`${prefix}${event.done}/${event.total} done (${countsText(event.counts)}), ${rate} msg/s`);
      }
    } else if (event.type === 'warning') {
      lines.warn(`${prefix}${event.message}`);
    } else if (event.type === 'retry') {
      if (!bar) lines.info(`${prefix}${event.email}: deferred (${event.reply}); retry ${event.attempt + 1} in ${event.delaySeconds} s`);
    } else if (event.type === 'stopping') {
      stop();
      const inFlight = plural(event.inFlight, 'message', 'messages');
      if (event.immediate) lines.info(`${prefix}stopping at once (${event.reason} again): the ${inFlight} in flight are cut; those the server was still receiving are marked unknown`);
      else if (!event.inFlight) lines.info(`${prefix}stopping (${event.reason}): no new messages, none in flight`);
      else lines.info(`${prefix}stopping (${event.reason}): no new messages; waiting up to ${event.graceSeconds} s for the ${inFlight} in flight (${event.reason === 'SIGTERM' ? 'send SIGTERM' : 'press Ctrl-C'} again to stop at once)`);
    }
  };
  return { onEvent, stop };
}

/** What `send` prints when it is done. */
export function sendSummaryText(s: SendReport): string {
  const seconds = (s.durationMs / 1000).toFixed(1);
  if (s.outbox) return `wrote ${plural(s.sent, 'message', 'messages')} to ${s.outbox} in ${seconds} s (nothing recorded; a real send still goes to everyone)`;
  return [
    `${s.slug}: ${countsText(s)} in ${seconds} s (${s.messagesPerSecond} msg/s)`,
    `send log so far: ${logText(s.log)}`,
    ...(s.log.deferred ? [`${s.log.deferred} deferred: run the same command again later to retry them.`] : []),
    ...(s.log.unknown ? [`${s.log.unknown} unknown (may have been delivered): see \`fintechweekly status ${s.slug}\`; resend them with --retry-unknown only if they did not arrive.`] : []),
    ...(s.limited && !s.stopped ? [`--limit reached: run the same command again to continue.`] : []),
    ...(s.stopped ? [stoppedText(s.stopped, s.log.pending, 'run the same command again')] : []),
  ].join('\n');
}

/** One campaign's line in the `dispatch` log. */
export function campaignSummaryText(s: SendReport): string {
  return `${s.slug}: ${countsText(s)} in ${(s.durationMs / 1000).toFixed(1)} s; send log: ${logText(s.log)}`;
}

/** The one line on how to resume a stopped send. */
export function stoppedText(reason: string, notYetSent: number, resume: string): string {
  return `stopped by ${reason}${notYetSent ? ` with ${notYetSent} not yet sent` : ''}: ${resume} to continue; nobody receives the issue twice.`;
}
