import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP: each delivery's envelope sender is `<local>+<token>@<domain>` (from config bounce.address),
 * so a bounce names the delivery it is about by the address it comes back to. The token is the
 * delivery id in base 36 and an HMAC of it and the recipient address (80 bits, base 32), all lower
 * case: some relays lower-case envelope addresses, and a forged token cannot name a delivery.
 *   bounces+1x-k3v6q2m7a9d4c8e1@fintechweekly.example
 */
const MAC_CHARS = 16;
const TOKEN = /^([0-9a-z]{1,11})-([a-z2-7]{16})$/;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function mac(secret: string, deliveryId: number, email: string): string {
  const digest = createHmac('sha256', secret).update(`verp\n${deliveryId}\n${email.toLowerCase()}`).digest();
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < MAC_CHARS) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= MAC_CHARS) break;
  }
  return out;
}

export function createVerpToken(secret: string, deliveryId: number, email: string): string {
  return `${deliveryId.toString(36)}-${mac(secret, deliveryId, email)}`;
}

/** `bounces@example.com` + token -> `bounces+token@example.com`. */
export function verpAddress(bounceAddress: string, token: string): string {
  const at = bounceAddress.lastIndexOf('@');
  return `${bounceAddress.slice(0, at)}+${token}${bounceAddress.slice(at)}`;
}

/** The token in an address built by verpAddress from this bounce address; undefined for any other address. */
export function verpTokenIn(address: string, bounceAddress: string): string | undefined {
  const at = bounceAddress.lastIndexOf('@');
  const local = bounceAddress.slice(0, at).toLowerCase();
  const domain = bounceAddress.slice(at + 1).toLowerCase();
  const given = address.toLowerCase();
  const givenAt = given.lastIndexOf('@');
  if (givenAt < 0 || given.slice(givenAt + 1) !== domain) return undefined;
  const givenLocal = given.slice(0, givenAt);
  return givenLocal.startsWith(`${local}+`) ? givenLocal.slice(local.length + 1) : undefined;
}

/** The delivery id a well-formed token claims; nothing is proven until verifyVerpToken. */
export function parseVerpToken(token: string): { deliveryId: number } | undefined {
  const match = TOKEN.exec(token.toLowerCase());
  if (!match) return undefined;
  const deliveryId = parseInt(match[1] as string, 36);
  return Number.isSafeInteger(deliveryId) && deliveryId > 0 ? { deliveryId } : undefined;
}

/** Constant-time check that `token` was issued for this delivery and address with this secret. */
export function verifyVerpToken(secret: string, token: string, deliveryId: number, email: string): boolean {
  const match = TOKEN.exec(token.toLowerCase());
  if (!match || parseInt(match[1] as string, 36) !== deliveryId) return false;
  const expected = Buffer.from(mac(secret, deliveryId, email));
  const given = Buffer.from(match[2] as string);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
