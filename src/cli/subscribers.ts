import { Option, type Command } from 'commander';
import type { SubscriberStatus } from '../core/subscriber-csv.js';
import type { Subscriber } from '../store/subscribers.js';
import { settings } from './context.js';
import { createOutput } from './output.js';
import { writeChunks } from './write-chunks.js';
import { registerSignupSubcommands } from './subscribers-signup.js';

// Kept here rather than imported from src/core, so that `--help` loads nothing but commander.
const STATUSES: readonly SubscriberStatus[] = ['active', 'pending', 'unsubscribed', 'bounced'];
const statusOption = (what: string) => new Option('--status <status>', `only ${what} with this status`).choices(STATUSES);

export function registerSubscribers(program: Command): void {
  const subscribers = program
    .command('subscribers')
    .description('Manage the subscriber list (stored in fintechweekly.db, or FINTECHWEEKLY_DB)');

  subscribers
    .command('add')
    .description('Add one subscriber')
    .argument('<email>', 'their address')
    .option('--name <name>', 'their name, used in the To header')
    .action(async (email: string, flags: { name?: string }) => {
      const { addSubscriber } = await import('../app/edit-subscriber.js');
      const added = await addSubscriber(settings(), { email, name: flags.name });
      createOutput().info(`added ${describe(added)}`);
    });

  subscribers
    .command('remove')
    .description('Delete a subscriber (their send history is kept); to stop mailing someone, prefer "unsubscribe"')
    .argument('<email>', 'their address')
    .action(async (email: string) => {
      const { removeSubscriber } = await import('../app/edit-subscriber.js');
      const removed = await removeSubscriber(settings(), { email });
      createOutput().info(`removed ${removed.email}`);
    });

  subscribers
    .command('unsubscribe')
    .description('Stop sending to a subscriber; an import never re-subscribes them')
    .argument('<email>', 'their address')
    .action(async (email: string) => {
      const { unsubscribeSubscriber } = await import('../app/edit-subscriber.js');
      const { subscriber, changed } = await unsubscribeSubscriber(settings(), { email });
      createOutput().info(changed ? `unsubscribed ${subscriber.email}` : `${subscriber.email} was already unsubscribed (since ${subscriber.unsubscribed_at ?? 'unknown'})`);
    });

  subscribers
    .command('resubscribe')
    .description('Make an unsubscribed or bounced subscriber active again (only when they asked for it)')
    .argument('<email>', 'their address')
    .action(async (email: string) => {
      const { resubscribeSubscriber } = await import('../app/edit-subscriber.js');
      const { subscriber, changed, lastBounce: last } = await resubscribeSubscriber(settings(), { email });
      const out = createOutput();
      out.info(changed ? `resubscribed ${subscriber.email}` : `${subscriber.email} is already active`);
      if (last) {
        out.warn(
          `${subscriber.email} had bounced (${last.class} ${last.status ?? ''} ${last.reason} on ${last.at.slice(0, 10)}, issue ${last.issue}: ${last.diagnostic ?? ''}); ` +
            `if the address still does not work, the next issue bounces again. See \`fintechweekly subscribers show ${subscriber.email}\`.`,
        );
      }
    });

  subscribers
    .command('import')
    .description('Import a CSV file: an email column, optional name (or first and last name) and status; exports from Mailchimp, Substack, Kit, listmonk and Buttondown work as they are')
    .argument('<file>', 'the CSV file (UTF-8; comma, semicolon or tab separated; any size)')
    .option('--resubscribe', 'make unsubscribed and bounced addresses in the file active again')
    .option('--update-names', "replace stored names with the file's (default: only fill in missing names)")
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, flags: { resubscribe?: boolean; updateNames?: boolean; json?: boolean }) => {
      const { importCsvFile } = await import('./subscribers-import.js');
      await importCsvFile(file, flags);
    });

  subscribers
    .command('export')
    .description('Write the list as CSV (email, name, status, created_at, unsubscribed_at), formula-safe for spreadsheets')
    .option('--out <file>', 'write to this file (replaced only once complete) instead of stdout')
    .addOption(statusOption('subscribers'))
    .action(async (flags: { out?: string; status?: SubscriberStatus }) => {
      const { exportSubscribers } = await import('../app/export-subscribers.js');
      const { count } = await exportSubscribers(settings(), { status: flags.status }, (csv) => writeChunks(csv, flags.out));
      if (flags.out) createOutput().info(`exported ${count} subscriber${count === 1 ? '' : 's'} to ${flags.out}`);
    });

  subscribers
    .command('list')
    .description('List subscribers')
    .addOption(statusOption('subscribers'))
    .option('--json', 'print a JSON array of {id, email, name, status, source, created_at, updated_at, unsubscribed_at, status_reason}')
    .action(async (flags: { status?: SubscriberStatus; json?: boolean }) => {
      const { listSubscribers } = await import('../app/list-subscribers.js');
      const counts = await listSubscribers(settings(), { status: flags.status }, (rows) => writeChunks(flags.json ? jsonArray(rows) : textLines(rows)));
      if (flags.json) return;
      // On stderr, so that `list > file` holds nothing but the list.
      process.stderr.write(`${counts.total} subscribers: ${counts.active} active, ${counts.pending} pending, ${counts.unsubscribed} unsubscribed, ${counts.bounced} bounced\n`);
    });

  registerSignupSubcommands(subscribers);
}

function describe(subscriber: Subscriber): string {
  return subscriber.name ? `${subscriber.email} (${subscriber.name})` : subscriber.email;
}

function* jsonArray(rows: Iterable<Subscriber>): Generator<string> {
  let first = true;
  yield '[';
  for (const row of rows) {
    yield `${first ? '\n' : ',\n'}  ${JSON.stringify(row)}`;
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

function* textLines(rows: Iterable<Subscriber>): Generator<string> {
  for (const row of rows) yield `${row.email}\t${row.status}\t${row.name ?? ''}\n`;
}
