import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dkimRecord, readPublicKey, recordKey } from '../../../src/check/tools/dkim-key.js';

describe('DKIM public keys', () => {
  it('reads an RSA key as PEM, as its DNS record, or as the bare p= value, and writes the record back', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const record = dkimRecord(publicKey);
    expect(record).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const text of [pem, record, recordKey(record) ?? '', record.replace('p=', 'p= ')]) {
      expect(dkimRecord(readPublicKey(text))).toBe(record);
    }
  });

  it('publishes an Ed25519 key as its raw 32 bytes (RFC 8463) and reads it back', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const record = dkimRecord(publicKey);
    expect(Buffer.from(recordKey(record) ?? '', 'base64')).toHaveLength(32);
    expect(dkimRecord(readPublicKey(record))).toBe(record);
  });

  it('rejects text that is no key', () => {
    expect(() => readPublicKey('v=DKIM1; k=rsa; p=bm90IGEga2V5')).toThrow();
  });
});
