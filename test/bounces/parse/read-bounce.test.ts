import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readBounce } from '../../../src/bounces/parse/read-bounce.js';

/**
 * Every fixture in test/fixtures/bounces: real messages from this machine's Postfix and Exim, and
 * messages written from the formats' documentation and the replies servers send (Sendmail, qmail,
 * Courier, Exchange, Office 365, Gmail, Yahoo, Outlook.com, Amazon SES, Japanese and European
 * providers, ARF and JMRP complaints, RFC 3834 auto-replies, delay notices, broken MIME).
 * expected.json says what an expert reads in each one.
 */
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/bounces');
const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, { kind: string; recipients: [string, string | null][] }>;

describe('readBounce on the fixtures', () => {
  it('has an expectation for every fixture file', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  for (const [file, want] of Object.entries(expected)) {
    it(`${file}: ${want.kind} ${want.recipients.map(([a, c]) => `${a} ${c ?? ''}`).join(', ')}`, () => {
      const read = readBounce(readFileSync(path.join(dir, file)));
      expect(read.kind).toBe(want.kind);
      const got = read.recipients.map((r) => [r.address, want.kind === 'complaint' ? null : r.class]);
      expect(got.sort()).toEqual([...want.recipients].sort());
      for (const r of read.recipients) if (want.kind === 'bounce') expect(r.status).toMatch(/^[45]\.\d{1,3}\.\d{1,3}$/);
    });
  }
});
