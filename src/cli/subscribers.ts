import { Option, type Command } from 'commander';
import { EXIT, FintechWeeklyError } from '../core/errors.js';
import type { SubscriberStatus } from '../core/subscriber-csv.js';
import type { Subscriber } from '../store/subscribers.js';
import { settings } from './context.js';
import { createOutput } from './output.js';
import { writeChunks } from './write-chunks.js';
import { registerSignupSubcommands } from './subscribers-signup.js';

// Kept here rather than imported from src/core, so that `--help` loads nothing but commander.
const STATUSES: readonly SubscriberStatus[] = ['active', 'pending', 'unsubscribed', 'bounced'];
const statusOption = (what: string) => new Option('--status <status>', `only ${what} with this status`).choices(STATUSES);

async function openStore() {
  const { openDb } = await import('../store/db.js');
  const store = await import('../store/subscribers.js');
  return { db: openDb(settings().dbPath), ...store };
}

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
      const { db, addSubscriber } = await openStore();
      const added = addSubscriber(db, { email, name: flags.name, source: 'cli' });
      createOutput().info(`added ${describe(added)}`);
    });

  subscribers
    .command('remove')
    .description('Delete a subscriber (their send history is kept); to stop mailing someone, prefer "unsubscribe"')
    .argument('<email>', 'their address')
    .action(async (email: string) => {
      const { db, removeSubscriber } = await openStore();
      if (!removeSubscriber(db, email)) throw notOnList(email);
      createOutput().info(`removed ${email.trim().toLowerCase()}`);
    });

  subscribers
    .command('unsubscribe')
    .description('Stop sending to a subscriber; an import never re-subscribes them')
    .argument('<email>', 'their address')
    .action(async (email: string) => {
      const { db, unsubscribe } = await openStore();
      const { subscriber, changed } = unsubscribe(db, email);
      if (!subscriber) throw notOnList(email);
      createOutput().info(changed ? `unsubscribed ${subscriber.email}` : `${subscriber.email} was already unsubscribed (since ${subscriber.unsubscribed_at ?? 'unknown'})`);
    });

  subscribers
    .command('resubscribe')
    .description('Make an unsubscribed or bounced subscriber active again (only when they asked for it)')
    .argument('<email>', 'their address')
    .action(async (email: string) => {
      const { db, resubscribe } = await openStore();
      const { subscriber, changed } = resubscribe(db, email);
      if (!subscriber) throw notOnList(email);
      createOutput().info(changed ? `resubscribed ${subscriber.email}` : `${subscriber.email} is already active`);
    });

  subscribers
    .command('import')
    .description('Import a CSV file with an "email" column and optional "name" and "status" columns')
    .argument('<file>', 'the CSV file (UTF-8; comma, semicolon or tab separated)')
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
      const { db, listSubscribers } = await openStore();
      const { subscribersToCsv } = await import('../core/subscriber-csv.js');
      let count = 0;
      const counted = function* (rows: Iterable<Subscriber>) {
        for (const row of rows) {
          count++;
          yield row;
        }
      };
      await writeChunks(subscribersToCsv(counted(listSubscribers(db, { status: flags.status }))), flags.out);
      if (flags.out) createOutput().info(`exported ${count} subscriber${count === 1 ? '' : 's'} to ${flags.out}`);
    });

  subscribers
    .command('list')
    .description('List subscribers')
    .addOption(statusOption('subscribers'))
    .option('--json', 'print a JSON array of {id, email, name, status, source, created_at, updated_at, unsubscribed_at}')
    .action(async (flags: { status?: SubscriberStatus; json?: boolean }) => {
      const { db, listSubscribers, countSubscribers } = await openStore();
      const rows = listSubscribers(db, { status: flags.status });
      if (flags.json) {
        await writeChunks(jsonArray(rows));
        return;
      }
      await writeChunks(textLines(rows));
      const counts = countSubscribers(db);
      // On stderr, so that `list > file` holds nothing but the list.
      process.stderr.write(`${counts.total} subscribers: ${counts.active} active, ${counts.pending} pending, ${counts.unsubscribed} unsubscribed, ${counts.bounced} bounced\n`);
    });

  registerSignupSubcommands(subscribers, { openStore, notOnList });
}

function describe(subscriber: Subscriber): string {
  return subscriber.name ? `${subscriber.email} (${subscriber.name})` : subscriber.email;
}

function notOnList(email: string): FintechWeeklyError {
  return new FintechWeeklyError(`${email.trim().toLowerCase()} is not on the subscriber list`, {
    exitCode: EXIT.error,
    hint: 'Check the spelling; "fintechweekly subscribers list" shows everyone.',
  });
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
