import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { detectDelimiter, guardCell, mapSubscriberColumns, subscribersToCsv } from '../../src/core/subscriber-csv.js';
import { isFintechWeeklyError } from '../../src/core/errors.js';
import { readSubscriberCsvText } from '../helpers/subscriber-csv.js';

const parseSubscriberCsv = (text: string, file: string) => {
  const { rows, rejected } = readSubscriberCsvText(text, file);
  return { rows, rejected };
};

const parseError = (text: string) => {
  try {
    parseSubscriberCsv(text, 'list.csv');
  } catch (error) {
    if (isFintechWeeklyError(error)) return error.message;
    throw error;
  }
  throw new Error('expected the file to be refused');
};

describe('reading subscriber CSV (SubscriberCsvReader)', () => {
  it('reads email and name, ignores other columns, case-insensitive headers, BOM and CRLF', () => {
    const text = '\uFEFFCompany,EMAIL,Name\r\nAcme,Jane@Example.com,Jane Doe\r\nBeta,budi@example.co.id,\r\n';
    expect(parseSubscriberCsv(text, 'list.csv')).toEqual({
      rows: [
        { line: 2, email: 'jane@example.com', name: 'Jane Doe', status: undefined },
        { line: 3, email: 'budi@example.co.id', name: undefined, status: undefined },
      ],
      rejected: [],
    });
  });

  it('keeps commas and quotes inside quoted fields', () => {
    const { rows } = parseSubscriberCsv('email,name\n"doe@example.com","Doe, Jane ""JJ"""\n', 'list.csv');
    expect(rows).toEqual([{ line: 2, email: 'doe@example.com', name: 'Doe, Jane "JJ"', status: undefined }]);
  });

  it('numbers rows by the line they start on, after multi-line quoted fields (LF and CRLF) and blank lines', () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['email,note', 'a@example.com,"one', 'two', 'three"', '', 'bad-address,x', '"c@example.com","x', 'y"', 'not@valid', ''].join(eol);
      const result = parseSubscriberCsv(text, 'list.csv');
      expect(result.rows.map((r) => [r.line, r.email])).toEqual([
        [2, 'a@example.com'],
        [7, 'c@example.com'],
      ]);
      expect(result.rejected.map((r) => r.line)).toEqual([6, 9]);
    }
  });

  it('rejects a multi-line name with the line the row starts on', () => {
    const { rejected } = parseSubscriberCsv('email,name\nok@example.com,Ok\nx@example.com,"Jane\r\nDoe"\n', 'list.csv');
    expect(rejected).toEqual([{ line: 3, reason: 'x@example.com: the name contains a line break or NUL character; put it on one line' }]);
  });

  it('reports every rejected row: invalid and empty (duplicates are found by the store: test/app/import-subscribers.test.ts)', () => {
    const text = 'email,name\njane@example.com,Jane\n,No Address\nJANE@EXAMPLE.COM,Jane again\nnot-an-address,X\nbudi@example.com,Budi\n';
    const result = parseSubscriberCsv(text, 'list.csv');
    expect(result.rows.map((r) => [r.line, r.email])).toEqual([
      [2, 'jane@example.com'],
      [4, 'jane@example.com'],
      [6, 'budi@example.com'],
    ]);
    expect(result.rejected).toEqual([
      { line: 3, reason: 'the email is empty' },
      { line: 5, reason: 'invalid address: "not-an-address" has no @' },
    ]);
  });

  it('skips rows whose cells are all empty (spreadsheets write them as ",,")', () => {
    const result = parseSubscriberCsv('email,name\n,\n a@example.com ,A\n,\n', 'list.csv');
    expect(result).toEqual({ rows: [{ line: 3, email: 'a@example.com', name: 'A', status: undefined }], rejected: [] });
  });

  it('reads semicolon-separated files (spreadsheets in comma-decimal locales)', () => {
    const { rows } = parseSubscriberCsv('email;name\na@example.com;Doe, Jane\n', 'list.csv');
    expect(rows).toEqual([{ line: 2, email: 'a@example.com', name: 'Doe, Jane', status: undefined }]);
  });

  it('reads an optional status column and rejects unknown statuses', () => {
    const result = parseSubscriberCsv('email,status\na@example.com,Unsubscribed\nb@example.com,\nc@example.com,gone\n', 'list.csv');
    expect(result.rows.map((r) => [r.email, r.status])).toEqual([
      ['a@example.com', 'unsubscribed'],
      ['b@example.com', undefined],
    ]);
    expect(result.rejected).toEqual([{ line: 4, reason: 'c@example.com: status "gone" is not one of active, unsubscribed, bounced' }]);
  });

  it('refuses "pending" (a sign-up nobody confirmed) and says why', () => {
    const result = parseSubscriberCsv('email,status\na@example.com,Pending\nb@example.com,active\n', 'list.csv');
    expect(result.rows.map((r) => r.email)).toEqual(['b@example.com']);
    expect(result.rejected).toEqual([{ line: 2, reason: expect.stringContaining('a@example.com: status "pending" is a sign-up that was never confirmed') }]);
  });

  it('refuses a file without an email column, naming the file and the columns it found', () => {
    expect(parseError('mail,name\na@example.com,A\n')).toBe('list.csv:1: the header row has no "email" column (found: "mail", "name")');
  });

  it('refuses an empty file, and accepts a header with no rows', () => {
    expect(parseError('')).toContain('list.csv is empty');
    expect(parseError('\uFEFF\r\n\r\n')).toContain('list.csv is empty');
    expect(parseSubscriberCsv('email,name\r\n', 'list.csv')).toEqual({ rows: [], rejected: [] });
  });

  it('refuses broken quoting and non-UTF-8 text with the line', () => {
    const unclosed = '\uFEFFemail,name\r\nå@example.com,Å\r\n\r\n"b@example.com,B\r\nc@example.com,C\r\n\r\nd@example.com,D\r\n';
    expect(parseError(unclosed)).toBe('list.csv:4: a quote (") opened in this row is never closed, so the rest of the file cannot be read');
    expect(parseError('email,name\na@example.com,"A\nb@example.com,B\n')).toContain('list.csv:2: a quote');
    expect(parseError('email,name\na@example.com,A\nb@example.com,Jos\uFFFD\n')).toBe('list.csv:3: the file is not UTF-8 text');
  });

  it('refuses a header with two email columns, however they are spelled', () => {
    expect(parseError('email,Email\na@example.com,b@example.com\n')).toBe('list.csv:1: the header has 2 "email" columns ("email", "Email")');
    expect(parseError('Email Address,e-mail\na@example.com,b@example.com\n')).toContain('2 "email" columns');
  });

  it('reads the header spellings other tools export (Mailchimp, Indonesian)', () => {
    expect(parseSubscriberCsv('Email Address,First Name,Full Name\nA@example.com,Ana,Ana Lopez\n', 'list.csv').rows).toMatchObject([{ email: 'a@example.com', name: 'Ana Lopez' }]);
    expect(parseSubscriberCsv('Nama;E-mail\nBudi;budi@example.com\n', 'list.csv').rows).toMatchObject([{ email: 'budi@example.com', name: 'Budi' }]);
  });
});

describe('header mapping (mapSubscriberColumns)', () => {
  const fixture = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');
  const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/import');

  it('Mailchimp: "Email Address", and "First Name" + "Last Name" joined into one name; its 20 other columns ignored', () => {
    const { rows, rejected, columns } = readSubscriberCsvText(fixture('mailchimp.csv'), 'mailchimp.csv');
    expect(columns).toMatchObject({ email: 'Email Address', name: ['First Name', 'Last Name'], status: [] });
    expect(columns?.ignored).toEqual(['Address', 'Phone Number', 'EMAIL_TYPE', 'MEMBER_RATING', 'OPTIN_TIME', 'OPTIN_IP', 'CONFIRM_TIME', 'CONFIRM_IP', 'LATITUDE', 'LONGITUDE', 'GMTOFF', 'DSTOFF', 'TIMEZONE', 'CC', 'REGION', 'LAST_CHANGED', 'LEID', 'EUID', 'NOTES', 'TAGS']);
    expect(rejected).toEqual([]);
    expect(rows.map((r) => [r.line, r.email, r.name, r.status])).toEqual([
      [2, 'siti.rahma@example.com', 'Siti Rahmawati', undefined],
      [3, 'budi@example.com', 'Budi', undefined],
      [4, 'ana.lopez@example.com', 'Ana López García', undefined],
      [5, 'no-name@example.com', undefined, undefined],
    ]);
  });

  it("Mailchimp's unsubscribed export: a row with an UNSUB_TIME is unsubscribed, one with a CLEAN_TIME bounced", () => {
    const { rows, columns } = readSubscriberCsvText(fixture('mailchimp-unsubscribed.csv'), 'unsubscribed.csv');
    expect(columns?.status).toEqual(['UNSUB_TIME']);
    expect(rows).toEqual([{ line: 2, email: 'left@example.com', name: 'Lena Kurz', status: 'unsubscribed' }]);
    const cleaned = readSubscriberCsvText('"Email Address",CLEAN_TIME,CLEAN_CAMPAIGN_TITLE\ngone@example.com,"2025-01-01 10:00:00",Weekly\nok@example.com,,\n', 'cleaned.csv');
    expect(cleaned.rows.map((r) => [r.email, r.status])).toEqual([
      ['gone@example.com', 'bounced'],
      ['ok@example.com', undefined],
    ]);
  });

  it('Substack: email only, and email_disabled=true is unsubscribed', () => {
    const { rows, columns } = readSubscriberCsvText(fixture('substack.csv'), 'substack.csv');
    expect(columns).toEqual({ email: 'email', name: [], status: ['email_disabled'], ignored: ['active_subscription', 'expiry', 'plan', 'created_at', 'first_payment_at'] });
    expect(rows.map((r) => [r.email, r.name, r.status])).toEqual([
      ['reader.one@example.com', undefined, undefined],
      ['paid.reader@example.com', undefined, undefined],
      ['muted@example.com', undefined, 'unsubscribed'],
    ]);
  });

  it('Kit/ConvertKit: email_address, first_name, and its state (cancelled is unsubscribed)', () => {
    const { rows, columns } = readSubscriberCsvText(fixture('kit.csv'), 'kit.csv');
    expect(columns).toEqual({ email: 'email_address', name: ['first_name'], status: ['state'], ignored: ['created_at', 'tags'] });
    expect(rows.map((r) => [r.email, r.name, r.status])).toEqual([
      ['dewi@example.com', 'Dewi', 'active'],
      ['anonymous@example.com', undefined, 'active'],
      ['rudi@example.com', 'Rudi', 'unsubscribed'],
      ['bouncy@example.com', 'Bouncy', 'bounced'],
    ]);
  });

  it('listmonk: name, and its status (enabled, blocklisted)', () => {
    const { rows, columns } = readSubscriberCsvText(fixture('listmonk.csv'), 'listmonk.csv');
    expect(columns).toEqual({ email: 'email', name: ['name'], status: ['status'], ignored: ['uuid', 'attributes', 'created_at', 'updated_at'] });
    expect(rows.map((r) => [r.email, r.name, r.status])).toEqual([
      ['maya@example.com', 'Maya Putri', 'active'],
      ['wei.tan@example.com', 'Wei Tan', 'active'],
      ['blocked@example.com', 'Doe, John', 'unsubscribed'],
    ]);
  });

  it('Buttondown: email plus metadata columns, no name; subscriber_type unsubscribed is unsubscribed', () => {
    const { rows, columns } = readSubscriberCsvText(fixture('buttondown.csv'), 'buttondown.csv');
    expect(columns).toMatchObject({ email: 'email', name: [], status: ['subscriber_type'] });
    expect(columns?.ignored).toEqual(['id', 'creation_date', 'notes', 'metadata', 'tags', 'referrer_url', 'secondary_id', 'source', 'utm_campaign', 'utm_medium', 'utm_source']);
    expect(rows.map((r) => [r.email, r.name, r.status])).toEqual([
      ['hana@example.com', undefined, 'active'],
      ['premium@example.com', undefined, 'active'],
      ['gone@example.com', undefined, 'unsubscribed'],
    ]);
  });

  it('a full-name column wins over first and last name; first or last alone is used as the name', () => {
    expect(mapSubscriberColumns(['E-mail', 'First Name', 'Last Name', 'Full Name'], 'f.csv').used).toEqual({ email: 'E-mail', name: ['Full Name'], status: [], ignored: ['First Name', 'Last Name'] });
    expect(readSubscriberCsvText('email,last_name\na@example.com,Tan\n', 'f.csv').rows[0]?.name).toBe('Tan');
    expect(readSubscriberCsvText('email,FNAME,LNAME\na@example.com, Ana ,\n', 'f.csv').rows[0]?.name).toBe('Ana');
  });

  it('"State" in an address is not a status; only Kit\'s exact `state` is', () => {
    const { rows, columns } = readSubscriberCsvText('Email,City,State\na@example.com,Austin,TX\n', 'crm.csv');
    expect(columns).toEqual({ email: 'Email', name: [], status: [], ignored: ['City', 'State'] });
    expect(rows).toEqual([{ line: 2, email: 'a@example.com', name: undefined, status: undefined }]);
  });

  it('refuses a role given twice (two name columns, two status columns)', () => {
    expect(parseError('email,name,Nama\na@example.com,A,B\n')).toBe('list.csv:1: the header has 2 "name" columns ("name", "Nama")');
    expect(parseError('email,status,subscriber_type\na@example.com,active,regular\n')).toContain('2 "status" columns');
  });

  it('an empty or a formula-guarded status in a known vocabulary; other words are refused with the line', () => {
    const { rows, rejected } = readSubscriberCsvText('email,status\na@example.com,Enabled\nb@example.com, CANCELLED \nc@example.com,cleaned\nd@example.com,paused\ne@example.com,maybe\n', 'list.csv');
    expect(rows.map((r) => r.status)).toEqual(['active', 'unsubscribed', 'bounced', 'active']);
    expect(rejected).toEqual([{ line: 6, reason: 'e@example.com: status "maybe" is not one of active, unsubscribed, bounced' }]);
  });
});

describe('detectDelimiter', () => {
  it('reads the first non-blank line, after a BOM and blank lines', () => {
    expect(detectDelimiter('\uFEFF\r\n\r\nemail;name\r\na,b;c\r\n')).toBe(';');
    expect(detectDelimiter('email\tname\n')).toBe('\t');
    expect(detectDelimiter('email\n')).toBe(',');
  });
});

describe('line numbers', () => {
  it('counts lone CR line breaks (old Mac files) and names the line of a bad byte inside a multi-line cell', () => {
    const { rejected } = readSubscriberCsvText('email,name\rbad,X\r"c@example.com","x\ry"\rz,Z\r', 'mac.csv');
    expect(rejected).toEqual([
      { line: 2, reason: 'invalid address: "bad" has no @' },
      { line: 3, reason: 'c@example.com: the name contains a line break or NUL character; put it on one line' },
      { line: 5, reason: 'invalid address: "z" has no @' },
    ]);
    expect(parseError('email,note\na@example.com,"one\ntwo \uFFFD"\n')).toBe('list.csv:3: the file is not UTF-8 text');
  });
});

describe('CSV export', () => {
  const subscriber = (email: string, name: string | null) => ({ email, name, status: 'active', created_at: '2026-01-01T00:00:00.000Z', unsubscribed_at: null });

  it('guards cells a spreadsheet would run as formulas', () => {
    for (const cell of ['=HYPERLINK("http://evil.example")', '+1', '-2+3', '@SUM(A1)', '\tx', '\rx']) {
      expect(guardCell(cell)).toBe(`'${cell}`);
    }
    expect(guardCell('Jane')).toBe('Jane');
    expect(guardCell("'quoted")).toBe("'quoted");
  });

  it('writes a BOM, a header and guarded, quoted cells that import back to the same subscribers', () => {
    const csv = [...subscribersToCsv([subscriber('-dash@example.com', '=cmd|"/c calc"!A1'), subscriber('jane@example.com', 'Doe, Jane'), subscriber('x@example.com', null)])].join('');
    expect(csv.startsWith('\uFEFFemail,name,status,created_at,unsubscribed_at\r\n')).toBe(true);
    const cells = parse(csv, { bom: true }) as string[][];
    expect(cells[1]).toEqual(["'-dash@example.com", `'=cmd|"/c calc"!A1`, 'active', '2026-01-01T00:00:00.000Z', '']);
    expect(cells[2]?.[1]).toBe('Doe, Jane');
    const back = parseSubscriberCsv(csv, 'export.csv');
    expect(back.rejected).toEqual([]);
    expect(back.rows.map((r) => [r.email, r.name, r.status])).toEqual([
      ['-dash@example.com', '=cmd|"/c calc"!A1', 'active'],
      ['jane@example.com', 'Doe, Jane', 'active'],
      ['x@example.com', undefined, 'active'],
    ]);
  });
});
