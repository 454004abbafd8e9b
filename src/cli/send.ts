import type { Command } from 'commander';
import { EXIT, FintechWeeklyError, UsageError } from '../core/errors.js';
import type { SendReport } from '../app/send-issue.js';
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
      const project = settings();
      const [{ prepareSend }, { withStore }, { sqliteCampaignSource }, { createSendProgress, sendSummaryText }, { stopSignals }] = await Promise.all([
        import('../app/send-issue.js'),
        import('../store/db.js'),
        import('../store/campaign-source.js'),
        import('./send-report.js'),
        import('./stop-signals.js'),
      ]);
      const bar = out.tty ? (await import('cli-progress')).default : undefined;
      const progress = createSendProgress({ info: (line) => out.info(line), warn: (line) => out.warn(line) }, { bar, everyMs: 5000 });
      const stop = stopSignals();
      await withStore(project.dbPath, async (db) => {
        const prepared = await prepareSend(
          project,
          { ref: issue, limit, rate, retryUnknown: flags.retryUnknown, dryRun: flags.dryRun, outbox: flags.outbox },
          { store: sqliteCampaignSource(db), now: () => new Date(), onEvent: progress.onEvent, signals: stop.signals },
        );
        const count = limit === undefined ? prepared.recipients : Math.min(limit, prepared.recipients);
        for (const warning of prepared.warnings) out.warn(warning.message);
        out.info(`${out.paint('bold', prepared.subject)}\nfrom ${prepared.from} via ${prepared.destination}\nto ${count} subscriber${count === 1 ? '' : 's'}${limit !== undefined && prepared.recipients > count ? ` (of ${prepared.recipients}; --limit ${limit})` : ''}`);
        if (flags.dryRun) {
          out.print(`\nsample recipients:\n${prepared.sample.map((r) => `  ${r.name ? `${r.name} <${r.email}>` : r.email}`).join('\n') || '  (none)'}\n\nheaders of one message:\n${prepared.headers}\n\ndry run: nothing was sent.`);
          out.result({ dryRun: true, slug: prepared.slug, subject: prepared.subject, from: prepared.from, recipients: count, sample: prepared.sample, headers: prepared.headers });
          return;
        }
        if (!flags.force) await (await import('../app/preflight.js')).refuseFailingIssue(project, issue, process.env, new Date(), (line) => out.info(line));
        if (!flags.yes && prepared.recipients > 0) {
          const { confirm } = await import('@inquirer/prompts');
          const go = await confirm({ message: `Send "${prepared.subject}" to ${count} subscriber${count === 1 ? '' : 's'} now?`, default: false });
          if (!go) throw new FintechWeeklyError('cancelled: nothing was sent');
        }
        // From here on Ctrl-C stops the send cleanly instead of killing it.
        stop.listen();
        let report: SendReport;
        try {
          report = await prepared.run();
        } finally {
          stop.dispose();
          progress.stop();
        }
        out.print(sendSummaryText(report));
        out.result(report);
        if (report.incomplete) process.exitCode = EXIT.tempfail;
      });
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
  const result = await sendTest(settings(), { ref: issue, to, outbox: flags.outbox }, { now: () => new Date() });
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
      hint: 'See the reply above; check the SMTP settings (docs/sending.md) and run it again.',
    });
  }
}
