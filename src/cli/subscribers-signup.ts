import type { Command } from 'commander';
import type { ConsentEntry, SubscriberRecord } from '../app/signup-records.js';
import { settings } from './context.js';
import { createOutput } from './output.js';

/** `subscribers show` (the consent record) and `subscribers purge-pending`, beside the other subscriber commands. */
export function registerSignupSubcommands(subscribers: Command): void {
  subscribers
    .command('show')
    .description('Show one subscriber, their consent record (each sign-up: when, from which page, a hash of the IP, the promise shown, when confirmed; or the import that added them) and their bounces and complaints')
    .argument('<email>', 'their address')
    .option('--json', 'print {subscriber: {id, email, name, status, source, created_at, updated_at, unsubscribed_at, status_reason}, consent: [...], bounces: [{at, issue, kind, class, status, reason, diagnostic, decision, messageKey}]}')
    .action(async (email: string, flags: { json?: boolean }) => {
      const { showSubscriberRecord } = await import('../app/signup-records.js');
      const record = await showSubscriberRecord(settings(), { email });
      const out = createOutput({ json: flags.json });
      out.result(record);
      out.print(describeRecord(record));
    });

  subscribers
    .command('purge-pending')
    .description('End sign-ups nobody confirmed: new addresses are deleted, addresses that had unsubscribed or bounced get that status back')
    .option('--older-than <age>', 'only sign-ups whose latest request is older than this: a number with m, h, d or w', '7d')
    .option('--dry-run', 'only list what would be purged')
    .option('--json', 'print {cutoff, dryRun, removed: [email], restored: [{email, status}]}')
    .action(async (flags: { olderThan: string; dryRun?: boolean; json?: boolean }) => {
      const { parseDuration } = await import('../core/duration.js');
      const olderThanMs = parseDuration(flags.olderThan, '--older-than');
      const { purgePendingSignupsOlderThan } = await import('../app/signup-records.js');
      const report = await purgePendingSignupsOlderThan(settings(), { olderThanMs, now: new Date(), dryRun: flags.dryRun ?? false });
      const out = createOutput({ json: flags.json });
      out.result(report);
      if (out.json) return;
      const verb = report.dryRun ? 'would be' : 'were';
      for (const email of report.removed) out.info(`${report.dryRun ? 'would remove' : 'removed'} ${email} (signed up, never confirmed)`);
      for (const r of report.restored) out.info(`${report.dryRun ? 'would restore' : 'restored'} ${r.email} to ${r.status} (an unconfirmed sign-up had made it pending)`);
      out.info(`${report.removed.length} pending sign-up${report.removed.length === 1 ? '' : 's'} ${verb} removed and ${report.restored.length} ${verb} restored (latest request before ${report.cutoff})`);
    });
}

function describeRecord({ subscriber: record, consent, bounces }: SubscriberRecord): string {
  const reason = (record as { status_reason?: string | null }).status_reason;
  const lines = [
    record.email,
    `  name:          ${record.name ?? '-'}`,
    `  status:        ${record.status}${reason ? ` (${reason})` : ''}${record.unsubscribed_at ? ` (since ${record.unsubscribed_at})` : ''}`,
    `  source:        ${record.source ?? '-'}`,
    `  added:         ${record.created_at}`,
    `  updated:       ${record.updated_at}`,
    'consent:',
  ];
  if (consent.length === 0) lines.push('  none on record');
  for (const entry of consent) lines.push(...describeConsent(entry));
  lines.push('bounces and complaints:');
  if (bounces.length === 0) lines.push('  none');
  for (const b of bounces) {
    const what = b.kind === 'complaint' ? 'complaint' : `${b.class} bounce ${b.status ?? ''} ${b.reason}`;
    lines.push(`  ${b.at}  ${b.issue}  ${what}  -> ${b.decision}`, ...(b.diagnostic ? [`    ${b.diagnostic}`] : []), `    bounce message: ${b.messageKey}`);
  }
  return lines.join('\n');
}

function describeConsent(entry: ConsentEntry): string[] {
  if (entry.kind === 'import') return [`  CSV import of ${entry.file} on ${entry.at}: the editor vouched for consent`];
  if (entry.kind === 'editor') return [`  added by an editor (subscribers add) on ${entry.at}: the editor vouched for consent`];
  if (entry.kind === 'other') return [`  added on ${entry.at} (source: ${entry.source ?? 'not recorded'}); no sign-up on record`];
  const mail = entry.confirmationEmail;
  const sent = mail.state === 'sent' ? `sent ${mail.sentAt ?? ''}`.trim() : `${mail.state}${mail.reply ? ` (${mail.reply})` : ''}`;
  return [
    `  sign-up through the form on ${entry.requestedAt}`,
    `    form page:          ${entry.sourcePage}`,
    `    IP address (hash):  ${entry.ipHash}`,
    `    promise shown:      "${entry.promise}"`,
    `    confirmation email: ${sent}`,
    `    confirmed:          ${entry.confirmedAt ?? `no (the link ${entry.expiresAt <= new Date().toISOString() ? 'expired' : 'expires'} ${entry.expiresAt})`}`,
  ];
}
