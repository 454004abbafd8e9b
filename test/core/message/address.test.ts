import { describe, expect, it } from 'vitest';
import { normalizeEmail, normalizeName } from '../../../src/core/message/address.js';

const reasonFor = (raw: string) => {
  const result = normalizeEmail(raw);
  if (result.ok) throw new Error(`expected ${raw} to be rejected, got ${result.email}`);
  return result.reason;
};

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => {
    expect(normalizeEmail('  Jane.Doe+News@Example.COM \t')).toEqual({ ok: true, email: 'jane.doe+news@example.com' });
  });

  it('accepts the characters real addresses use and IDN domains', () => {
    for (const email of ["o'brien@example.com", 'a_b-c@mail.example.co.id', 'x@sub-domain.example', 'budi@bücher.example', '-dash@example.com']) {
      expect(normalizeEmail(email)).toEqual({ ok: true, email });
    }
  });

  it.each([
    ['', 'the email address is empty'],
    ['   ', 'the email address is empty'],
    ['jane.example.com', 'has no @'],
    ['a@b@example.com', 'has more than one @'],
    ['Jane Doe <jane@example.com>', 'looks like a name with an address'],
    ['jane doe@example.com', 'contains a space'],
    ['jane@example.com\r\nBcc: x@example.com', 'line break'],
    ['jane\0@example.com', 'line break or NUL'],
    ['@example.com', 'nothing before the @'],
    ['jane@', 'nothing after the @'],
    ['jane@localhost', 'has no dot'],
    ['jane@exa_mple.com', 'is not a valid domain name'],
    ['jane@-example.com', 'is not a valid domain name'],
    ['jane@example..com', 'is not a valid domain name'],
    ['jane@example.com.', 'is not a valid domain name'],
    ['jane@1.2.3.4', 'ends in a number'],
    ['jane@[192.0.2.1]', 'IP address'],
    ['.jane@example.com', 'two dots in a row'],
    ['ja..ne@example.com', 'two dots in a row'],
    ['"jane doe"@example.com', 'contains a space'],
    ['"jane"@example.com', 'quoted part'],
    ['jané@example.com', 'only ASCII'],
    ['jane,doe@example.com', 'contains ","'],
    ['mailto:jane@example.com', 'contains ":"'],
  ])('rejects %j: %s', (raw, reason) => {
    expect(reasonFor(raw)).toContain(reason);
  });

  it('enforces the RFC 5321 length limits: 64 before the @, 254 in all', () => {
    expect(normalizeEmail(`${'a'.repeat(64)}@example.com`).ok).toBe(true);
    expect(reasonFor(`${'a'.repeat(65)}@example.com`)).toContain('longer than 64');
    const domain = `${Array.from({ length: 4 }, () => 'd'.repeat(60)).join('.')}.example`; // 251 characters
    expect(reasonFor(`abc@${domain}`)).toContain('longer than 254');
    expect(normalizeEmail(`a@${domain}`).ok).toBe(true);
  });
});

describe('normalizeName', () => {
  it('trims, and treats empty as no name', () => {
    expect(normalizeName('  Budi Santoso ')).toEqual({ ok: true, name: 'Budi Santoso' });
    expect(normalizeName('  ')).toEqual({ ok: true, name: undefined });
    expect(normalizeName(undefined)).toEqual({ ok: true, name: undefined });
  });

  it('rejects what would break or forge a To header', () => {
    expect(normalizeName('Jane\r\nBcc: x@example.com')).toMatchObject({ ok: false, reason: expect.stringContaining('line break') });
    expect(normalizeName('Jane\0')).toMatchObject({ ok: false });
    expect(normalizeName('Jane\u0007Doe')).toMatchObject({ ok: false, reason: expect.stringContaining('control character') });
    expect(normalizeName('x'.repeat(101))).toMatchObject({ ok: false, reason: expect.stringContaining('longer than 100') });
    expect(normalizeName('Ð'.repeat(100))).toMatchObject({ ok: true });
  });
});
