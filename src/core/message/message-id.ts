import { createHash, randomBytes } from 'node:crypto';

/** The part of an address after the last @, lower-cased: Message-IDs and List-Id live under it. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** Keeps only what is valid in a Message-ID's left-hand side (dot-atom text). */
function atom(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '') || 'issue';
}

/**
 * A new delivery's Message-ID: the slug (for people reading logs) and 128 random bits.
 * The send log stores it when it takes the list, and every retry and resume sends the stored one,
 * so a receiver that deduplicates by Message-ID sees a resend after an `unknown` outcome as the
 * same message. Random, because `bounces scan` trusts a quoted Message-ID as proof that a bounce
 * is about one of our deliveries (when a relay rewrote the VERP address away): nobody who has not
 * seen the message can quote it.
 */
export function deliveryMessageId(slug: string, fromEmail: string): string {
  return `<${atom(slug)}.${randomBytes(16).toString('hex')}@${domainOf(fromEmail)}>`;
}

/**
 * A Message-ID derived from a key and the address alone, the same every time: for mail that is
 * retried without a stored id (signup confirmations, keyed by their job). Deliveries were made this
 * way before, from the slug: anyone who knows a reader's address (and the issue, which is
 * public) can compute those. Send logs written then still hold such ids; sending keeps them
 * (retries stay the same message), but a bounce quoting one proves nothing.
 */
export function derivedMessageId(slug: string, email: string, fromEmail: string): string {
  const hash = createHash('sha256').update(`${slug}\n${email.toLowerCase()}`).digest('base64url').slice(0, 22);
  return `<${atom(slug)}.${hash.replace(/[-_]/g, (c) => (c === '-' ? 'A' : 'B'))}@${domainOf(fromEmail)}>`;
}

/** True when a stored delivery Message-ID is the old derivation for this (issue, address): public facts, whatever the domain. */
export function isGuessableMessageId(messageId: string, slug: string, email: string): boolean {
  const local = (id: string) => id.replace(/^<|>$/g, '').replace(/@[^@]*$/, '');
  return local(messageId) === local(derivedMessageId(slug, email, 'x@x'));
}

/** Test sends are not deliveries: each one gets its own id. */
export function testMessageId(slug: string, fromEmail: string): string {
  return deliveryMessageId(`test.${slug}`, fromEmail);
}
