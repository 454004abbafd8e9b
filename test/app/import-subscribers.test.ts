import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importSubscriberFile, type ImportInput, type ImportProgress } from '../../src/app/import-subscribers.js';
import { openDb, type Db } from '../../src/store/db.js';
import { addSubscriber, countSubscribers, limitStoreGrowth, listSubscribers, unsubscribe } from '../../src/store/subscribers.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/import');

let dir: string;
let dbPath: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-import-'));
  dbPath = path.join(dir, 'fintechweekly.db');
  db = openDb(dbPath);
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string | Buffer) => {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
};
const fixture = (name: string) => {
  const file = path.join(dir, name);
  copyFileSync(path.join(fixtures, name), file);
  return file;
};
const run = (input: string | ImportInput, extra: { onProgress?: (event: ImportProgress) => void; signal?: AbortSignal } = {}) =>
  importSubscriberFile(typeof input === 'string' ? { file: input } : input, { db, now: () => new Date('2026-12-01T09:00:00.000Z'), ...extra });
const all = () => [...listSubscribers(db)].map((s) => ({ email: s.email, name: s.name, status: s.status }));
/** Everything stored, to compare a list before and after. */
const snapshot = () => [...listSubscribers(db)];
/** `count` rows `user<i>@example.com`, with a name. */
const manyRows = (count: number, header = 'email,name') => {
  const lines = [header];
  for (let i = 1; i <= count; i++) lines.push(`user${i}@example.com,User ${i}`);
  return `${lines.join('\n')}\n`;
};

describe('importSubscriberFile: the exports editors bring', () => {
  it('Mailchimp: first and last name joined, every other column ignored, and the report says which were read', async () => {
    const report = await run(fixture('mailchimp.csv'));
    expect(report).toMatchObject({ rows: 4, added: 4, updated: 0, resubscribed: 0, unchanged: 0, skippedUnsubscribed: [], rejected: [] });
    expect(report.columns).toMatchObject({ email: 'Email Address', name: ['First Name', 'Last Name'], status: [] });
    expect(report.columns.ignored).toHaveLength(20);
    expect(all()).toEqual([
      { email: 'siti.rahma@example.com', name: 'Siti Rahmawati', status: 'active' },
      { email: 'budi@example.com', name: 'Budi', status: 'active' },
      { email: 'ana.lopez@example.com', name: 'Ana López García', status: 'active' },
      { email: 'no-name@example.com', name: null, status: 'active' },
    ]);
  });

  it("Mailchimp's unsubscribed export suppresses a reader who is active here", async () => {
    addSubscriber(db, { email: 'left@example.com' });
    const report = await run(fixture('mailchimp-unsubscribed.csv'));
    expect(report).toMatchObject({ added: 0, updated: 1 });
    expect(all()).toEqual([{ email: 'left@example.com', name: 'Lena Kurz', status: 'unsubscribed' }]);
  });

  it('Substack: addresses only; a reader who turned email off there is stored unsubscribed', async () => {
    const report = await run(fixture('substack.csv'));
    expect(report).toMatchObject({ added: 3, columns: { email: 'email', name: [], status: ['email_disabled'] } });
    expect(all()).toEqual([
      { email: 'reader.one@example.com', name: null, status: 'active' },
      { email: 'paid.reader@example.com', name: null, status: 'active' },
      { email: 'muted@example.com', name: null, status: 'unsubscribed' },
    ]);
  });

  it('Kit: first_name and email_address; cancelled and bounced readers are not mailed', async () => {
    await run(fixture('kit.csv'));
    expect(all()).toEqual([
      { email: 'dewi@example.com', name: 'Dewi', status: 'active' },
      { email: 'anonymous@example.com', name: null, status: 'active' },
      { email: 'rudi@example.com', name: 'Rudi', status: 'unsubscribed' },
      { email: 'bouncy@example.com', name: 'Bouncy', status: 'bounced' },
    ]);
  });

  it('listmonk: name and status (blocklisted is unsubscribed)', async () => {
    await run(fixture('listmonk.csv'));
    expect(all()).toEqual([
      { email: 'maya@example.com', name: 'Maya Putri', status: 'active' },
      { email: 'wei.tan@example.com', name: 'Wei Tan', status: 'active' },
      { email: 'blocked@example.com', name: 'Doe, John', status: 'unsubscribed' },
    ]);
  });

  it('Buttondown: the email, its metadata columns ignored, unsubscribers kept unsubscribed', async () => {
    const report = await run(fixture('buttondown.csv'));
    expect(report.columns).toMatchObject({ email: 'email', name: [], status: ['subscriber_type'] });
    expect(report.columns.ignored).toContain('metadata');
    expect(all()).toEqual([
      { email: 'hana@example.com', name: null, status: 'active' },
      { email: 'premium@example.com', name: null, status: 'active' },
      { email: 'gone@example.com', name: null, status: 'unsubscribed' },
    ]);
  });
});

describe('importSubscriberFile: rows an editor can get wrong', () => {
  it('names every rejected row by its physical line (CRLF, quoted line breaks, blank lines) and imports the rest', async () => {
    const file = write('list.csv', '\uFEFFEmail,Name,Company\r\njane@example.com,"Doe, Jane",Acme\r\nnot-an-address,X,\r\nbudi@example.com,"Budi\r\nSantoso",\r\n\r\n,No address,\r\nJANE@example.com,Again,\r\nsiti@example.com,Siti,\r\n');
    const report = await run(file);
    expect(report.rejected).toEqual([
      { line: 3, reason: 'invalid address: "not-an-address" has no @' },
      { line: 4, reason: 'budi@example.com: the name contains a line break or NUL character; put it on one line' },
      { line: 7, reason: 'the email is empty' },
      { line: 8, reason: 'jane@example.com is a duplicate of line 2' },
    ]);
    expect(report).toMatchObject({ rows: 6, added: 2 });
    expect(all()).toEqual([
      { email: 'jane@example.com', name: 'Doe, Jane', status: 'active' },
      { email: 'siti@example.com', name: 'Siti', status: 'active' },
    ]);
  });

  it('reports every rejected row: invalid, empty, duplicate (case-insensitive) with the first line', async () => {
    const file = write('list.csv', 'email,name\njane@example.com,Jane\n,No Address\nJANE@EXAMPLE.COM,Jane again\nnot-an-address,X\nbudi@example.com,Budi\n');
    const report = await run(file);
    expect(all().map((s) => s.email)).toEqual(['jane@example.com', 'budi@example.com']);
    expect(report.rejected).toEqual([
      { line: 3, reason: 'the email is empty' },
      { line: 4, reason: 'jane@example.com is a duplicate of line 2' },
      { line: 5, reason: 'invalid address: "not-an-address" has no @' },
    ]);
  });

  it('finds duplicates far apart in a long file (across batches) without holding addresses in memory', async () => {
    const text = `${manyRows(12_000)}USER7@example.com,Again\nuser11999@Example.com,Again\n`;
    const report = await run(write('long.csv', text));
    expect(report.rejected).toEqual([
      { line: 12_002, reason: 'user7@example.com is a duplicate of line 8' },
      { line: 12_003, reason: 'user11999@example.com is a duplicate of line 12000' },
    ]);
    expect(countSubscribers(db).total).toBe(12_000);
  });
});

describe('importSubscriberFile: what is already on the list', () => {
  const csv = 'email,name\njane@example.com,Jane\nbudi@example.com,\nsiti@example.com,Siti\n';

  it('a re-import changes nothing: every stored field stays as it was', async () => {
    const file = write('list.csv', csv);
    expect(await run(file)).toMatchObject({ added: 3, unchanged: 0 });
    const before = snapshot();
    const again = await importSubscriberFile({ file }, { db, now: () => new Date('2026-12-02T09:00:00.000Z') });
    expect(again).toMatchObject({ added: 0, updated: 0, resubscribed: 0, unchanged: 3, skippedUnsubscribed: [], rejected: [] });
    expect(snapshot()).toEqual(before);
    expect(before[0]?.source).toBe('import:list.csv');
  });

  it('never re-subscribes an unsubscribed or bounced reader unless asked to, and says which lines it skipped', async () => {
    const file = write('list.csv', csv);
    await run(file);
    unsubscribe(db, 'jane@example.com');
    db.prepare("UPDATE subscribers SET status = 'bounced' WHERE email = 'budi@example.com'").run();
    const report = await run(file);
    expect(report.skippedUnsubscribed).toEqual([
      { line: 2, email: 'jane@example.com', status: 'unsubscribed' },
      { line: 3, email: 'budi@example.com', status: 'bounced' },
    ]);
    expect(report.unchanged).toBe(1);
    expect(all().map((s) => s.status)).toEqual(['unsubscribed', 'bounced', 'active']);
    expect(await run({ file, resubscribe: true })).toMatchObject({ resubscribed: 2, unchanged: 1 });
    expect(countSubscribers(db)).toMatchObject({ active: 3 });
  });

  it('adds new readers after those already on the list, in the order of the file', async () => {
    addSubscriber(db, { email: 'first@example.com' });
    await run(write('list.csv', 'email\nzed@example.com\nfirst@example.com\namy@example.com\n'));
    expect(all().map((s) => s.email)).toEqual(['first@example.com', 'zed@example.com', 'amy@example.com']);
  });
});

describe('importSubscriberFile: a failure half way leaves the list as it was', () => {
  const seed = () => {
    addSubscriber(db, { email: 'kept@example.com', name: 'Kept' });
    unsubscribe(db, 'kept@example.com');
    return snapshot();
  };

  it('a file whose quoting breaks after thousands of good rows: the line is named, nothing is imported', async () => {
    const before = seed();
    const file = write('broken.csv', `${manyRows(8000)}"unclosed@example.com,Never closed\nlast@example.com,Last\n`);
    await expect(run(file)).rejects.toThrow('broken.csv:8002: a quote (") opened in this row is never closed');
    expect(snapshot()).toEqual(before);
  });

  it('a file that stops being UTF-8 half way: the line is named, nothing is imported', async () => {
    const before = seed();
    const file = write('latin1.csv', Buffer.concat([Buffer.from(manyRows(6000)), Buffer.from('jose@example.com,Jos'), Buffer.from([0xe9]), Buffer.from('\n')]));
    await expect(run(file)).rejects.toThrow('latin1.csv:6002: the file is not UTF-8 text');
    expect(snapshot()).toEqual(before);
  });

  it('a full disk while writing the list (SQLITE_FULL): a clear error, nothing imported, and the file on disk agrees', async () => {
    const before = seed();
    limitStoreGrowth(db, 20);
    await expect(run(write('big.csv', manyRows(5000)))).rejects.toThrow('the disk is full: nothing was imported, the subscriber list is as it was');
    expect(snapshot()).toEqual(before);
    db.close();
    db = openDb(dbPath);
    expect(snapshot()).toEqual(before);
    // With room again, the same import goes through.
    expect(await run(path.join(dir, 'big.csv'))).toMatchObject({ added: 5000 });
  });

  it('a full temporary folder while staging the rows: the same clear error', async () => {
    const before = seed();
    limitStoreGrowth(db, 10, 'temp');
    await expect(run(write('big.csv', manyRows(20_000)))).rejects.toThrow('the disk is full: nothing was imported');
    expect(snapshot()).toEqual(before);
  });

  it('Ctrl-C (an abort) while reading: nothing is imported, and the error says where it stopped', async () => {
    const before = seed();
    const interruption = new AbortController();
    const events: ImportProgress['type'][] = [];
    const onProgress = (event: ImportProgress) => {
      events.push(event.type);
      if (event.type === 'reading') interruption.abort();
    };
    await expect(run(write('big.csv', manyRows(50_000)), { onProgress, signal: interruption.signal })).rejects.toThrow(/interrupted while reading .*big\.csv \(after line \d+\): nothing was imported, the subscriber list is as it was/);
    expect(events).not.toContain('writing');
    expect(snapshot()).toEqual(before);
  });

  it('a failure while writing the list rolls back every change of the import, updates included', async () => {
    const before = seed();
    addSubscriber(db, { email: 'nameless@example.com' });
    const withNameless = snapshot();
    // A real SQLite failure in the middle of the write (as a full disk would cause), after nameless's name was filled in.
    db.exec("CREATE TRIGGER fail_import BEFORE INSERT ON subscribers WHEN NEW.email = 'user3@example.com' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
    await expect(run(write('list.csv', `${manyRows(5)}nameless@example.com,Named Now\n`))).rejects.toThrow('disk I/O error');
    expect(snapshot()).toEqual(withNameless);
    expect(before).toHaveLength(1);
  });

  it('the staged rows do not lock the list: another connection can write while a file is read', async () => {
    const other = openDb(dbPath);
    try {
      let wrote = false;
      await run(write('big.csv', manyRows(12_000)), {
        onProgress: (event) => {
          if (event.type === 'reading' && !wrote) {
            addSubscriber(other, { email: 'signup@example.com' });
            wrote = true;
          }
        },
      });
      expect(wrote).toBe(true);
      expect(countSubscribers(db).total).toBe(12_001);
    } finally {
      other.close();
    }
  });
});

describe('importSubscriberFile: files it cannot read', () => {
  it('a file that does not exist, an empty file, a header without an email column', async () => {
    await expect(run(path.join(dir, 'nope.csv'))).rejects.toThrow(/nope\.csv does not exist/);
    await expect(run(write('empty.csv', '\uFEFF\r\n\r\n'))).rejects.toThrow('empty.csv is empty: expected a header row with an "email" column');
    await expect(run(write('contacts.csv', 'mail,name\njane@example.com,Jane\n'))).rejects.toThrow('contacts.csv:1: the header row has no "email" column (found: "mail", "name")');
    expect(all()).toEqual([]);
  });

  it('a header and no rows is an empty import, not an error', async () => {
    expect(await run(write('header.csv', 'email,name\r\n'))).toMatchObject({ rows: 0, added: 0, rejected: [] });
  });
});

describe('importSubscriberFile: progress', () => {
  it('reports the start, the columns, reading progress by bytes, then the write', async () => {
    const file = write('big.csv', manyRows(12_000));
    const events: ImportProgress[] = [];
    await run(file, { onProgress: (event) => events.push(event) });
    expect(events[0]).toEqual({ type: 'start', file, bytes: expect.any(Number) });
    expect(events[1]).toEqual({ type: 'columns', columns: { email: 'email', name: ['name'], status: [], ignored: [] } });
    const reading = events.filter((e) => e.type === 'reading');
    expect(reading.map((e) => e.rows)).toEqual([5000, 10_000, 12_000]);
    expect(reading.at(-1)).toMatchObject({ bytesRead: reading.at(-1)?.bytes });
    expect(events.at(-1)).toMatchObject({ type: 'writing', rows: 12_000 });
  });
});
