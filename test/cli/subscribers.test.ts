import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { openDb } from '../../src/store/db.js';
import { countSubscribers } from '../../src/store/subscribers.js';
import { bin, projectDir, repo, runCli, runScript } from '../helpers/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = projectDir('fw-e2e-subscribers-');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => runCli(dir, args);
const list = () => JSON.parse(cli('subscribers', 'list', '--json').stdout) as { email: string; name: string | null; status: string }[];
const write = (name: string, text: string) => writeFileSync(path.join(dir, name), text);
const rowsOf = (count: number) => `email,name\n${Array.from({ length: count }, (_, i) => `user${i + 1}@example.com,User ${i + 1}\n`).join('')}`;
const subscriberCount = () => {
  const db = openDb(path.join(dir, 'store', 'fintechweekly.db'));
  try {
    return countSubscribers(db).total;
  } finally {
    db.close();
  }
};

/** The built CLI as a running process, for signals: waitFor resolves once stdout matches. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, NO_COLOR: '1', FINTECHWEEKLY_DB: path.join(dir, 'store', 'fintechweekly.db') } });
  let stdout = '';
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const waiter of waiters.filter((w) => w.pattern.test(stdout))) waiter.resolve();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(stdout)) return resolve();
      waiters.push({ pattern, resolve });
      void exited.then((result) => reject(new Error(`the CLI exited (${result.code}) before printing ${pattern}:\n${result.stdout}\n${result.stderr}`)));
    });
  return { process: child, exited, waitFor };
}

// What each change does to the list is tested in process (test/app/subscribers.test.ts); here, the
// commands' arguments, output and exit codes.

describe('fintechweekly subscribers', () => {
  it('adds, lists as JSON, unsubscribes and removes', () => {
    const added = cli('subscribers', 'add', 'Jane@Example.com', '--name', 'Jane Doe');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('added jane@example.com (Jane Doe)');
    expect(cli('subscribers', 'add', 'budi@example.co.id').code).toBe(0);
    const listed = JSON.parse(cli('subscribers', 'list', '--json').stdout) as Record<string, unknown>[];
    expect(listed).toEqual([
      { id: 1, email: 'jane@example.com', name: 'Jane Doe', status: 'active', source: 'cli', created_at: expect.any(String), updated_at: expect.any(String), unsubscribed_at: null, status_reason: null },
      { id: 2, email: 'budi@example.co.id', name: null, status: 'active', source: 'cli', created_at: expect.any(String), updated_at: expect.any(String), unsubscribed_at: null, status_reason: null },
    ]);

    const unsubscribed = cli('subscribers', 'unsubscribe', 'JANE@example.com');
    expect(unsubscribed.code).toBe(0);
    expect(unsubscribed.stdout).toContain('unsubscribed jane@example.com');
    expect(cli('subscribers', 'unsubscribe', 'jane@example.com').stdout).toContain('was already unsubscribed');
    expect(JSON.parse(cli('subscribers', 'list', '--status', 'active', '--json').stdout)).toMatchObject([{ email: 'budi@example.co.id' }]);

    const removed = cli('subscribers', 'remove', 'budi@example.co.id');
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain('removed budi@example.co.id');
    const again = cli('subscribers', 'remove', 'budi@example.co.id');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error: budi@example.co.id is not on the subscriber list');
  });

  it('lists an empty store as []', () => {
    expect(JSON.parse(cli('subscribers', 'list', '--json').stdout)).toEqual([]);
  });

  it('refuses a bad address with a clear message, exit 1 and no stack trace', () => {
    const result = cli('subscribers', 'add', 'Jane Doe <jane@example.com>');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: invalid address: "Jane Doe <jane@example.com>" looks like a name with an address');
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('exits 2 on wrong flags and arguments', () => {
    for (const args of [
      ['subscribers', 'add', 'jane@example.com', '--nmae', 'Jane'],
      ['subscribers', 'add'],
      ['subscribers', 'list', '--status', 'gone'],
      ['subscribers', 'export', '--status'],
    ]) {
      const result = cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('error:');
    }
  });

  it('imports valid rows, names every rejected row by file and line, and exits 1', () => {
    write('list.csv', '\uFEFFEmail,Name,Company\r\njane@example.com,"Doe, Jane",Acme\r\nnot-an-address,X,\r\nbudi@example.com,"Budi\r\nSantoso",\r\n,No address,\r\nJANE@example.com,Again,\r\nsiti@example.com,Siti,\r\n');
    const result = cli('subscribers', 'import', 'list.csv');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('list.csv:3: invalid address: "not-an-address" has no @');
    expect(result.stderr).toContain('list.csv:4: budi@example.com: the name contains a line break');
    expect(result.stderr).toContain('list.csv:6: the email is empty');
    expect(result.stderr).toContain('list.csv:7: jane@example.com is a duplicate of line 2');
    expect(result.stderr).toContain('4 rows were rejected');
    expect(result.stdout).toContain('list.csv: 2 added');
    expect(list()).toEqual([
      expect.objectContaining({ email: 'jane@example.com', name: 'Doe, Jane', status: 'active' }),
      expect.objectContaining({ email: 'siti@example.com', name: 'Siti', status: 'active' }),
    ]);
  });

  it('is idempotent, never re-subscribes the unsubscribed without --resubscribe, and reports JSON', () => {
    write('list.csv', 'email,name\njane@example.com,Jane\nsiti@example.com,Siti\n');
    const first = cli('subscribers', 'import', 'list.csv', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      file: 'list.csv',
      rows: 2,
      added: 2,
      updated: 0,
      resubscribed: 0,
      unchanged: 0,
      skippedUnsubscribed: [],
      rejected: [],
      columns: { email: 'email', name: ['name'], status: [], ignored: [] },
    });
    cli('subscribers', 'unsubscribe', 'jane@example.com');
    const second = JSON.parse(cli('subscribers', 'import', 'list.csv', '--json').stdout) as Record<string, unknown>;
    expect(second).toMatchObject({ added: 0, unchanged: 1, skippedUnsubscribed: [{ line: 2, email: 'jane@example.com', status: 'unsubscribed' }] });
    expect(list()).toMatchObject([{ email: 'jane@example.com', status: 'unsubscribed' }, { email: 'siti@example.com', status: 'active' }]);
    const third = cli('subscribers', 'import', 'list.csv', '--resubscribe');
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('0 added, 0 updated, 1 resubscribed, 1 unchanged');
    expect(list().map((s) => s.status)).toEqual(['active', 'active']);
  });

  it('refuses an unusable file as a whole, naming it, and stores nothing', () => {
    write('contacts.csv', 'mail,name\njane@example.com,Jane\n');
    const noHeader = cli('subscribers', 'import', 'contacts.csv');
    expect(noHeader.code).toBe(1);
    expect(noHeader.stderr).toContain('error: contacts.csv:1: the header row has no "email" column (found: "mail", "name")');
    write('empty.csv', '');
    expect(cli('subscribers', 'import', 'empty.csv').stderr).toContain('error: empty.csv is empty');
    const missing = cli('subscribers', 'import', 'nope.csv');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('error: nope.csv does not exist');
    expect(list()).toEqual([]);
  });

  it('says which columns it read and which it ignored, in text and in --json (a Mailchimp export)', () => {
    copyFileSync(path.join(repo, 'test/fixtures/import/mailchimp.csv'), path.join(dir, 'members.csv'));
    const text = cli('subscribers', 'import', 'members.csv');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('members.csv: email from "Email Address", name from "First Name" + "Last Name"; ignored: "Address", "Phone Number", "EMAIL_TYPE"');
    expect(text.stdout).toContain('members.csv: 4 added, 0 updated');
    const json = JSON.parse(cli('subscribers', 'import', 'members.csv', '--json').stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ file: 'members.csv', rows: 4, added: 0, unchanged: 4, columns: { email: 'Email Address', name: ['First Name', 'Last Name'], status: [] } });
    expect(list().map((s) => s.name)).toEqual(['Siti Rahmawati', 'Budi', 'Ana López García', null]);
  });

  it('refuses a file that breaks half way with the line, exit 1, and imports none of it', () => {
    cli('subscribers', 'add', 'kept@example.com');
    write('broken.csv', `${rowsOf(3000)}"unclosed@example.com,Never closed\nlast@example.com,Last\n`);
    const result = cli('subscribers', 'import', 'broken.csv');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: broken.csv:3002: a quote (") opened in this row is never closed, so the rest of the file cannot be read');
    expect(result.stderr).toContain('hint: Fix that row in a text editor');
    expect(list().map((s) => s.email)).toEqual(['kept@example.com']);
  });

  it('Ctrl-C (SIGINT) while reading a big file: exit 1, a message saying nothing was imported, the list as it was', async () => {
    cli('subscribers', 'add', 'kept@example.com');
    write('big.csv', rowsOf(300_000));
    const child = startCli(['subscribers', 'import', 'big.csv']);
    await child.waitFor(/big\.csv: email from "email"/);
    child.process.kill('SIGINT');
    const { code, stderr } = await child.exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: interrupted while reading big\.csv \(after line \d+\): nothing was imported, the subscriber list is as it was/);
    expect(stderr).toContain('hint: Run the same import again');
    expect(subscriberCount()).toBe(1);
  });

  it('a killed import (SIGKILL while it writes the list) leaves the list as it was or fully imported, never half', async () => {
    cli('subscribers', 'add', 'kept@example.com');
    write('big.csv', rowsOf(150_000));
    const child = startCli(['subscribers', 'import', 'big.csv']);
    await child.waitFor(/writing 150000 rows to the subscriber list in one transaction/);
    child.process.kill('SIGKILL');
    await child.exited;
    expect([1, 150_001]).toContain(subscriberCount());
    // The next import finds nothing half-done and completes.
    const again = cli('subscribers', 'import', 'big.csv', '--json');
    expect(again.code).toBe(0);
    expect(subscriberCount()).toBe(150_001);
  });

  it('exports formula-safe CSV to stdout or, atomically, to a file that imports back the same', () => {
    write('list.csv', 'email,name\n-dash@example.com,=HYPERLINK("http://evil.example")\njane@example.com,"Doe, Jane"\n');
    expect(cli('subscribers', 'import', 'list.csv').code).toBe(0);
    cli('subscribers', 'unsubscribe', 'jane@example.com');
    const stdout = cli('subscribers', 'export').stdout;
    expect(stdout.split('\r\n').slice(0, 3)).toEqual([
      '\uFEFFemail,name,status,created_at,unsubscribed_at',
      expect.stringMatching(/^'-dash@example\.com,"'=HYPERLINK\(""http:\/\/evil\.example""\)",active,\d{4}-/),
      expect.stringMatching(/^jane@example\.com,"Doe, Jane",unsubscribed,/),
    ]);

    const exported = cli('subscribers', 'export', '--out', 'backup.csv', '--status', 'active');
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('exported 1 subscriber to backup.csv');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(readFileSync(path.join(dir, 'backup.csv'), 'utf8').split('\r\n')).toHaveLength(3);

    const full = cli('subscribers', 'export', '--out', 'all.csv');
    expect(full.code).toBe(0);
    rmSync(path.join(dir, 'store'), { recursive: true });
    expect(cli('subscribers', 'import', 'all.csv').code).toBe(0);
    expect(list()).toMatchObject([
      { email: '-dash@example.com', name: '=HYPERLINK("http://evil.example")', status: 'active' },
      { email: 'jane@example.com', name: 'Doe, Jane', status: 'unsubscribed' },
    ]);
  });

  it('reports an export folder that does not exist', () => {
    const result = cli('subscribers', 'export', '--out', 'no/such/folder/list.csv');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: cannot write no/such/folder/list.csv');
  });

  it('never imports mjml (the recorder does see it when a module imports it)', () => {
    write('list.csv', 'email\njane@example.com\n');
    for (const args of [['subscribers', 'import', 'list.csv'], ['subscribers', 'list'], ['subscribers', 'export'], ['subscribers', 'unsubscribe', 'jane@example.com']]) {
      const result = runCli(dir, args, { recordModules: true });
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.modules.some((url) => url.includes('/node_modules/better-sqlite3/')), args.join(' ')).toBe(true);
      expect(result.modules.filter((url) => /\/node_modules\/mjml[^/]*\//.test(url)), args.join(' ')).toEqual([]);
    }
    // The recorder is real: a process that does import mjml shows up in the log.
    const probe = runScript(dir, `await import(${JSON.stringify(pathToFileURL(path.join(repo, 'node_modules/mjml/lib/index.js')).href)});\n`);
    expect(probe.code).toBe(0);
    expect(probe.modules.filter((url) => /\/node_modules\/mjml[^/]*\//.test(url))).not.toEqual([]);
  });
});
