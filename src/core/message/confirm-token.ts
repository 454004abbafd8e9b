import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Confirmation tokens for a sign-up: `<signupId>.<expiry>.<mac>`, expiry in Unix seconds (base 36),
 * mac = HMAC-SHA256(unsubscribe secret, purpose, sign-up id, expiry and address), base64url, cut to
 * 32 characters (192 bits). The id names the sign-up (and so the address) without putting the
 * address into a URL; the mac binds the address and the expiry, so neither can be changed, and the
 * "confirm" purpose keeps a confirmation token from ever passing as an unsubscribe token.
 */
const MAC_LENGTH = 32;
const TOKEN = /^([1-9][0-9]{0,15})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{32})$/;

export interface ConfirmClaim {
  signupId: number;
  expiresAt: Date;
}

function mac(secret: string, signupId: number, expirySeconds: number, email: string): string {
  return createHmac('sha256', secret).update(`confirm\n${signupId}\n${expirySeconds}\n${email.toLowerCase()}`).digest('base64url').slice(0, MAC_LENGTH);
}

/** The expiry is kept to whole seconds: the token carries it. */
export function confirmExpiry(requestedAt: Date, hours: number): Date {
  return new Date(Math.floor((requestedAt.getTime() + hours * 3_600_000) / 1000) * 1000);
}

export function createConfirmToken(secret: string, signupId: number, email: string, expiresAt: Date): string {
  const seconds = Math.floor(expiresAt.getTime() / 1000);
  return `${signupId}.${seconds.toString(36)}.${mac(secret, signupId, seconds, email)}`;
}

/** What a well-formed token claims; nothing is proven until verifyConfirmToken. */
export function parseConfirmToken(token: string): ConfirmClaim | undefined {
  const match = TOKEN.exec(token);
  if (!match) return undefined;
  const seconds = parseInt(match[2] as string, 36);
  return { signupId: Number(match[1]), expiresAt: new Date(seconds * 1000) };
}

/** Constant-time check that `token` was issued with this secret for this sign-up and address (expiry not checked). */
export function verifyConfirmToken(secret: string, token: string, signupId: number, email: string): boolean {
  const match = TOKEN.exec(token);
  if (!match || Number(match[1]) !== signupId) return false;
  const expected = Buffer.from(mac(secret, signupId, parseInt(match[2] as string, 36), email));
  const given = Buffer.from(match[3] as string);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Where the confirmation email's token goes in the compiled email, like UNSUBSCRIBE_TOKEN_MARKER. */
export const CONFIRM_TOKEN_MARKER = 'FWX0CONFIRM0TOKEN0XWF';

export function confirmPath(token: string): string {
  return `/confirm/${token}`;
}

export function confirmUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${confirmPath(token)}`;
}
