import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { guardCell, parseSubscriberCsv, subscribersToCsv } from '../../src/core/subscriber-csv.js';
import { isFintechWeeklyError } from '../../src/core/errors.js';

const parseError = (text: string) => {
  try {
    parseSubscriberCsv(text, 'list.csv');
  } catch (error) {
    if (isFintechWeeklyError(error)) return error.message;
    throw error;
  }
  throw new Error('expected the file to be refused');
};

describe('parseSubscriberCsv', () => {
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

  it('reports every rejected row: invalid, empty, duplicate (case-insensitive) with the first line', () => {
    const text = 'email,name\njane@example.com,Jane\n,No Address\nJANE@EXAMPLE.COM,Jane again\nnot-an-address,X\nbudi@example.com,Budi\n';
    const result = parseSubscriberCsv(text, 'list.csv');
    expect(result.rows.map((r) => r.email)).toEqual(['jane@example.com', 'budi@example.com']);
    expect(result.rejected).toEqual([
      { line: 3, reason: 'the email is empty' },
      { line: 4, reason: 'jane@example.com is a duplicate of line 2' },
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
