import type { Command } from 'commander';
import { EXIT, FintechWeeklyError, UsageError } from '../core/errors.js';
import type { SendProgress, SendSummary } from '../app/send-issue.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

interface SendFlags {
  test?: boolean;
  to?: string[];
  yes?: boolean;
  dryRun?: boolean;
  limit?: string;
  rate?: string;
  retryUnknown?: boolean;
  outbox?: string;
  json?: boolean;
  force?: boolean;
}

function positive(value: string | undefined, flag: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`${flag} must be a positive ${integer ? 'whole ' : ''}number, not "${value}"`);
  return n;
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('Send an issue to every active subscriber (or, with --test, to the editors only)')
    .argument('<issue>', 'issue file or slug')
    .option('--test', 'send to test.recipients from the config (or --to) with "[TEST] " before the subject; nothing is recorded')
    .option('--to <address...>', 'with --test: send to these addresses instead of test.recipients')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--dry-run', 'show who would receive it and the headers of one message; send nothing')
    .option('--limit <n>', 'send to at most N subscribers in this run (rerun to continue)')
    .option('--rate <n>', 'messages per second across all connections (default: smtp.rate)')
    .option('--retry-unknown', 'also resend deliveries whose outcome is unknown (the connection died after the message was handed over)')
    .option('--outbox <dir>', 'write each message as an .eml file into DIR instead of sending; nothing is recorded')
    .option('--json', 'print the result as JSON on stdout')
    .option('--force', 'send even when the offline checks of `fintechweekly check` fail')
    .action(async (issue: string, flags: SendFlags) => {
      const out = createOutput({ json: flags.json });
      if (flags.to && !flags.test) throw new UsageError('--to only works with --test', { hint: 'A real send goes to the subscriber list; use `send ISSUE --test --to ADDRESS` to try it on someone.' });
      if (flags.test) return sendTestAction(issue, flags, out);

      const limit = positive(flags.limit, '--limit', true);
      const rate = positive(flags.rate, '--rate', false);
      const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !flags.json;
      if (!flags.yes && !flags.dryRun && !interactive) {
        throw new UsageError('refusing to send to the subscriber list without confirmation: there is no terminal to ask on', { hint: 'Add --yes to send from a script or cron (or --dry-run to see what would be sent).' });
      }
      const { prepareSend } = await import('../app/send-issue.js');
      const report = await createProgressReporter(out);
      const prepared = await prepareSend(settings(), issue, { limit, rate, retryUnknown: flags.retryUnknown, dryRun: flags.dryRun, outbox: flags.outbox, onProgress: report.onProgress });
      try {
        const count = limit === undefined ? prepared.recipients : Math.min(limit, prepared.recipients);
        for (const warning of prepared.warnings) out.warn(warning.message);
        out.info(`${out.paint('bold', prepared.subject)}\nfrom ${prepared.from} via ${prepared.destination}\nto ${count} subscriber${count === 1 ? '' : 's'}${limit !== undefined && prepared.recipients > count ? ` (of ${prepared.recipients}; --limit ${limit})` : ''}`);
        if (flags.dryRun) {
          out.print(`\nsample recipients:\n${prepared.sample.map((r) => `  ${r.name ? `${r.name} <${r.email}>` : r.email}`).join('\n') || '  (none)'}\n\nheaders of one message:\n${prepared.headers}\n\ndry run: nothing was sent.`);
          out.result({ dryRun: true, slug: prepared.slug, subject: prepared.subject, from: prepared.from, recipients: count, sample: prepared.sample, headers: prepared.headers });
          return;
        }
        if (!flags.force) await (await import('../app/preflight.js')).refuseFailingIssue(settings(), issue, process.env, new Date(), (line) => out.info(line));
        if (!flags.yes && prepared.recipients > 0) {
          const { confirm } = await import('@inquirer/prompts');
          const go = await confirm({ message: `Send "${prepared.subject}" to ${count} subscriber${count === 1 ? '' : 's'} now?`, default: false });
          if (!go) throw new FintechWeeklyError('cancelled: nothing was sent');
        }
        let summary: SendSummary;
        try {
          summary = await prepared.run();
        } finally {
          report.stop();
        }
        printSummary(out, summary);
        out.result(summary);
        if (summary.incomplete) process.exitCode = EXIT.tempfail;
      } finally {
        prepared.close();
      }
    });
}

async function sendTestAction(issue: string, flags: SendFlags, out: Output): Promise<void> {
  const { normalizeEmail } = await import('../core/message/address.js');
  const to = (flags.to ?? []).map((raw) => {
    const checked = normalizeEmail(raw);
    if (!checked.ok) throw new UsageError(`--to ${raw}: ${checked.reason}`);
    return checked.email;
  });
  const { sendTest } = await import('../app/send-test.js');
  const result = await sendTest(settings(), issue, { to, outbox: flags.outbox });
  for (const r of result.results) {
    if (r.outcome === 'sent') out.info(`sent "${result.subject}" to ${r.to} (${r.reply})`);
    else out.warn(`${r.to}: not sent (${r.outcome}): ${r.reply}`);
  }
  out.result(result);
  const failed = result.results.filter((r) => r.outcome !== 'sent');
  if (failed.length) {
    const retryable = failed.every((r) => r.outcome === 'deferred');
    throw new FintechWeeklyError(`the test send reached ${result.results.length - failed.length} of ${result.results.length} recipient(s) via ${result.destination}`, {
      exitCode: retryable ? EXIT.tempfail : EXIT.error,
      hint: 'See the reply above; check the SMTP settings (README "Sending") and run it again.',
    });
  }
}

/** A bar with rate and ETA on a terminal; a timestamped line every few seconds otherwise. */
async function createProgressReporter(out: Output): Promise<{ onProgress: (event: SendProgress) => void; stop: () => void }> {
  const barModule = out.tty ? (await import('cli-progress')).default : undefined;
  let bar: InstanceType<NonNullable<typeof barModule>['SingleBar']> | undefined;
  let lastLine = 0;
  const onProgress = (event: SendProgress) => {
    if (event.type === 'start') {
      if (event.interrupted) out.warn(`${event.interrupted} deliver${event.interrupted === 1 ? 'y was' : 'ies were'} interrupted by an earlier run and may have been delivered: marked unknown (resend them with --retry-unknown)`);
      if (barModule) {
        bar = new barModule.SingleBar({ format: 'sending [{bar}] {percentage}% | {value}/{total} | {rate} msg/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 200 }, barModule.Presets.shades_classic);
        bar.start(event.total, 0, { rate: '0' });
      } else out.info(`sending to ${event.total} via ${event.transport}`);
    } else if (event.type === 'progress') {
      const perSecond = event.elapsedMs > 0 ? (event.done / event.elapsedMs) * 1000 : 0;
      // A slow send (a few messages waiting on retries) would otherwise read "0 msg/s".
      const rate = perSecond.toFixed(perSecond < 10 ? 1 : 0);
      if (bar) bar.update(event.done, { rate });
      else if (Date.now() - lastLine >= 5000 || event.done === event.total) {
        lastLine = Date.now();
        const c = event.counts;
        out.info(`${event.done}/${event.total} done (sent ${c.sent}, failed ${c.failed}, deferred ${c.deferred}, unknown ${c.unknown}, skipped ${c.skipped}), ${rate} msg/s`);
      }
    } else if (event.type === 'warning') {
      out.warn(event.message);
    } else if (event.type === 'retry' && !bar) {
      out.info(`${event.email}: deferred (${event.reply}); retry ${event.attempt + 1} in ${event.delaySeconds} s`);
    }
  };
  return { onProgress, stop: () => bar?.stop() };
}

function printSummary(out: Output, s: SendSummary): void {
  const seconds = (s.durationMs / 1000).toFixed(1);
  if (s.outbox) {
    out.print(`wrote ${s.sent} message${s.sent === 1 ? '' : 's'} to ${s.outbox} in ${seconds} s (nothing recorded; a real send still goes to everyone)`);
    return;
  }
  out.print(
    [
      `${s.slug}: sent ${s.sent}, failed ${s.failed}, deferred ${s.deferred}, unknown ${s.unknown}, skipped ${s.skipped} in ${seconds} s (${s.messagesPerSecond} msg/s)`,
      `send log so far: ${s.log.sent} sent, ${s.log.failed} failed, ${s.log.deferred} deferred, ${s.log.unknown} unknown, ${s.log.skipped} skipped, ${s.log.pending} not yet sent`,
      ...(s.log.deferred ? [`${s.log.deferred} deferred: run the same command again later to retry them.`] : []),
      ...(s.log.unknown ? [`${s.log.unknown} unknown (may have been delivered): see \`fintechweekly status ${s.slug}\`; resend them with --retry-unknown only if they did not arrive.`] : []),
      ...(s.limited ? [`--limit reached: run the same command again to continue.`] : []),
    ].join('\n'),
  );
}
