import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Unsubscribe tokens: `<subscriberId>.<mac>`, mac = HMAC-SHA256(secret, id and address), base64url,
 * cut to 32 characters (192 bits). Binding the address means a token stops working if the id is
 * ever reused for someone else. Short enough to sit on one quoted-printable line.
 */
const MAC_LENGTH = 32;
const TOKEN = /^([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{32})$/;

function mac(secret: string, subscriberId: number, email: string): string {
  return createHmac('sha256', secret).update(`unsubscribe\n${subscriberId}\n${email.toLowerCase()}`).digest('base64url').slice(0, MAC_LENGTH);
}

export function createUnsubscribeToken(secret: string, subscriberId: number, email: string): string {
  return `${subscriberId}.${mac(secret, subscriberId, email)}`;
}

/** The subscriber id a well-formed token claims; nothing is proven until verifyUnsubscribeToken. */
export function parseUnsubscribeToken(token: string): { subscriberId: number } | undefined {
  const match = TOKEN.exec(token);
  return match ? { subscriberId: Number(match[1]) } : undefined;
}

/** Constant-time check that `token` was issued for this subscriber with this secret. */
export function verifyUnsubscribeToken(secret: string, token: string, subscriberId: number, email: string): boolean {
  const match = TOKEN.exec(token);
  if (!match || Number(match[1]) !== subscriberId) return false;
  const expected = Buffer.from(mac(secret, subscriberId, email));
  const given = Buffer.from(match[2] as string);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
