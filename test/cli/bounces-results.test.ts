import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readdirSync, writeFileSync } from 'node:fs';
import { arfFor, BOUNCE_ADDRESS, bounceProject, dsnFor, FROM, maildirWith, SECRET, type BounceProject } from '../helpers/bounce-project.js';
import { assertBuilt, runCli } from '../helpers/run-cli.js';

/** What editors see of bounces outside `bounces scan`: dispatch reads bounce.source, status, subscribers show/list/resubscribe. */
let project: BounceProject | undefined;
afterEach(() => project?.remove());

function setup() {
  assertBuilt();
  const p = bounceProject({ subscribers: ['gone@example.com', 'angry@example.com', 'fine@example.com'] });
  const [gone, angry] = p.sendIssue('issue-1');
  const box = maildirWith(p.dir, [dsnFor(gone!, { status: '5.1.1', diagnostic: '550 5.1.1 <gone@example.com>: Recipient address rejected: User unknown' }), arfFor(angry!)]);
  writeFileSync(path.join(p.dir, 'fintechweekly.config.yaml'), stringify({ sender: { fromEmail: FROM }, bounce: { address: BOUNCE_ADDRESS, source: path.relative(p.dir, box) } }));
  const cli = (args: string[]) => runCli(p.dir, args, { env: { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, FINTECHWEEKLY_DB: p.dbFile } });
  return { p, cli };
}

describe('bounces in dispatch, status and subscribers', () => {
  it('dispatch scans bounce.source before sending: the bounced and the complaining reader are taken off the list', () => {
    const { p, cli } = setup();
    project = p;
    const run = cli(['dispatch', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { bounces: { messages: number; bounced: number; unsubscribed: number } };
    expect(result.bounces).toMatchObject({ messages: 2, bounced: 1, unsubscribed: 1 });
    expect(run.stderr).toMatch(/bounces: gone@example\.com set to bounced/);
    expect(p.subscriber('gone@example.com')?.status).toBe('bounced');
    expect(p.subscriber('angry@example.com')).toEqual({ status: 'unsubscribed', status_reason: 'complaint' });
    // A second dispatch changes nothing.
    const again = JSON.parse(cli(['dispatch', '--json']).stdout) as { bounces: { already: number; bounced: number } };
    expect(again.bounces).toMatchObject({ already: 2, bounced: 0 });
  });

  it('status counts bounced and complained deliveries; subscribers show gives the history; list --status bounced lists them; resubscribe warns', () => {
    const { p, cli } = setup();
    project = p;
    expect(cli(['bounces', 'scan', path.join(p.dir, readdirBox(p.dir))]).code).toBe(0);

    const status = JSON.parse(cli(['status', 'issue-1', '--json']).stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ sent: 3, bounced: 1, complained: 1 });
    expect(cli(['status', 'issue-1']).stdout).toMatch(/bounced 1, complained 1/);

    const show = cli(['subscribers', 'show', 'gone@example.com']);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/status: +bounced \(hard-bounce\)/);
    expect(show.stdout).toMatch(/issue-1 {2}hard bounce 5\.1\.1 user-unknown {2}-> bounced/);
    expect(show.stdout).toMatch(/Recipient address rejected: User unknown/);
    const shown = JSON.parse(cli(['subscribers', 'show', 'angry@example.com', '--json']).stdout) as { subscriber: { status: string }; bounces: { kind: string; decision: string }[] };
    expect(shown).toMatchObject({ subscriber: { status: 'unsubscribed' }, bounces: [{ kind: 'complaint', decision: 'unsubscribed' }] });
    expect(cli(['subscribers', 'show', 'fine@example.com']).stdout).toMatch(/bounces and complaints:\n {2}none/);

    expect(cli(['subscribers', 'list', '--status', 'bounced']).stdout.trim().split('\n')).toEqual([expect.stringMatching(/^gone@example\.com\tbounced/)]);

    const back = cli(['subscribers', 'resubscribe', 'gone@example.com']);
    expect(back.code).toBe(0);
    expect(back.stdout).toMatch(/resubscribed gone@example\.com/);
    expect(back.stderr).toMatch(/warning: gone@example\.com had bounced \(hard 5\.1\.1 user-unknown on \d{4}-\d\d-\d\d, issue issue-1/);
    expect(p.subscriber('gone@example.com')).toEqual({ status: 'active', status_reason: null });
  });
});

function readdirBox(dir: string): string {
  return readdirSync(dir).find((f) => f.startsWith('Maildir-')) as string;
}
