import { createHash } from 'node:crypto';

/** The part of an address after the last @, lower-cased: Message-IDs and List-Id live under it. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Keeps only what is valid in a Message-ID's left-hand side (dot-atom text). */
function atom(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'issue';
}

/**
 * One Message-ID per (issue, address), the same on every retry and every rerun, so that a receiver
 * that deduplicates by Message-ID sees a resend after an `unknown` outcome as the same message.
 */
export function deliveryMessageId(slug: string, email: string, fromEmail: string): string {
  const hash = createHash('sha256').update(`${slug}\n${email.toLowerCase()}`).digest('base64url').slice(0, 22);
  return `<${atom(slug)}.${hash.replace(/[-_]/g, (c) => (c === '-' ? 'A' : 'B'))}@${domainOf(fromEmail)}>`;
}

/** Test sends are not deliveries: each one gets its own id, from a nonce the caller passes in. */
export function testMessageId(slug: string, email: string, fromEmail: string, nonce: string): string {
  return deliveryMessageId(`test.${nonce}`, `${slug}\n${email}`, fromEmail);
}
