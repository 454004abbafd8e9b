import { createPublicKey, type KeyObject } from 'node:crypto';

/**
 * The DNS TXT record a DKIM key is published as (`v=DKIM1; k=rsa; p=...`), and reading a public
 * key given as PEM, as such a record, or as the bare base64 of its p= tag.
 */
export function dkimRecord(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  if (type === 'ed25519') {
    // RFC 8463: p= is the raw 32-byte key, the last bytes of its SPKI form.
    const der = key.export({ type: 'spki', format: 'der' });
    return `v=DKIM1; k=ed25519; p=${der.subarray(der.length - 32).toString('base64')}`;
  }
  return `v=DKIM1; k=rsa; p=${key.export({ type: 'spki', format: 'der' }).toString('base64')}`;
}

export function readPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) return createPublicKey(trimmed);
  const p = /(?:^|;)\s*p=([A-Za-z0-9+/=\s]+)/.exec(trimmed)?.[1] ?? trimmed;
  const der = Buffer.from(p.replace(/\s+/g, ''), 'base64');
  if (/k=ed25519/.test(trimmed) && der.length === 32) {
    const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');
    return createPublicKey({ key: Buffer.concat([spkiPrefix, der]), format: 'der', type: 'spki' });
  }
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** The p= value of a DKIM record, for comparing two records' keys. */
export function recordKey(record: string): string | undefined {
  return /(?:^|;)\s*p=([A-Za-z0-9+/=\s]*)/.exec(record)?.[1]?.replace(/\s+/g, '');
}
