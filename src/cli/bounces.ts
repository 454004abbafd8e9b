import type { Command } from 'commander';
import type { ScannedMessage, ScanBouncesReport } from '../app/scan-bounces.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

export function registerBounces(program: Command): void {
  const bounces = program.command('bounces').description('Read returned mail: bounces, complaints, auto-replies (never deletes mail)');
  bounces
    .command('scan')
    .description('Read a mailbox of returned mail, match each bounce and complaint to its delivery, and mark hard-bounced, repeatedly soft-bounced and complaining subscribers')
    .argument('<source...>', 'a Maildir folder, an mbox file, .eml files (or folders of them), or imaps://user@host/INBOX (password in FINTECHWEEKLY_IMAP_PASSWORD)')
    .option('--dry-run', 'only read and report: write nothing to the database, flag or move nothing')
    .option('--json', 'print a JSON array with one {file, kind, recipients: [{address, status, class, reason, diagnostic}], delivery: {issue, address} | null} per message')
    .action(async (sources: string[], flags: { dryRun?: boolean; json?: boolean }) => {
      const out = createOutput({ json: flags.json });
      const { scanBounces } = await import('../app/scan-bounces.js');
      let first = true;
      if (out.json) process.stdout.write('[');
      const report = await scanBounces(
        settings(),
        { sources, dryRun: flags.dryRun },
        {
          onWarning: (line) => out.warn(line),
          onMessage: (message) => {
            for (const problem of message.problems) out.warn(`${message.file}: ${problem}`);
            if (out.json) {
              const { file, kind, recipients, delivery } = message;
              process.stdout.write(`${first ? '\n' : ',\n'}  ${JSON.stringify({ file, kind, recipients, delivery })}`);
              first = false;
            } else out.info(describeMessage(out, message));
          },
        },
      );
      if (out.json) process.stdout.write(first ? ']\n' : '\n]\n');
      out.info(describeReport(report));
    });
}

function describeMessage(out: Output, message: ScannedMessage): string {
  const recipients = message.recipients.map((r) => (message.kind === 'complaint' ? r.address : `${r.address} ${r.class === 'hard' ? out.paint('red', 'hard') : 'soft'} ${r.status ?? ''} ${r.reason}`.trim())).join('; ');
  const delivery = message.delivery ? ` [${message.delivery.issue} to ${message.delivery.address}, by ${message.matchedBy}]` : '';
  const decision = message.decision
    ? {
        bounced: ' -> subscriber set to bounced',
        unsubscribed: ' -> subscriber unsubscribed (complaint)',
        counted: ' -> soft bounce counted',
        none: ' -> no change (subscriber not active)',
        already: ' -> already recorded by an earlier scan',
      }[message.decision]
    : '';
  return `${message.file}: ${message.kind}${recipients ? ` ${recipients}` : ''}${delivery}${decision}`;
}

function describeReport(r: ScanBouncesReport): string {
  const k = r.kinds;
  const changes = r.dryRun ? 'dry run: nothing written, nothing flagged or moved' : `${r.bounced} set to bounced, ${r.unsubscribed} unsubscribed by complaint, ${r.counted} soft bounce${r.counted === 1 ? '' : 's'} counted, ${r.already} already recorded`;
  return (
    `scanned ${r.messages} message${r.messages === 1 ? '' : 's'} from ${r.source} in ${(r.durationMs / 1000).toFixed(1)} s: ` +
    `${k.bounce} bounce${k.bounce === 1 ? '' : 's'}, ${k.complaint} complaint${k.complaint === 1 ? '' : 's'}, ${k['auto-reply']} auto-repl${k['auto-reply'] === 1 ? 'y' : 'ies'}, ${k.delayed} delay notice${k.delayed === 1 ? '' : 's'}, ${k.other} other; ` +
    `${r.matched} matched to our deliveries, ${r.unmatched} unmatched; ${changes}${r.problems ? `; ${r.problems} problem${r.problems === 1 ? '' : 's'} reported above` : ''}`
  );
}
