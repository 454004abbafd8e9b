import { createHmac } from 'node:crypto';
import { confirmExpiry } from '../core/message/confirm-token.js';
import { normalizeEmail, normalizeName } from '../core/message/address.js';
import type { Db } from '../store/db.js';
import { countIpAttempts, inUnsyncedTransaction, recentSignups, recordIpAttempt, recordSignup } from '../store/signups.js';
import { getSubscriberByEmail } from '../store/subscribers.js';

/**
 * A reader submits the sign-up form. What happens depends on who they are, but the answer they
 * see never does (the caller shows the same page for every decision):
 * - honeypot filled: nothing is stored;
 * - over the per-IP limit (configurable, per 10 minutes) or the per-address limit (one
 *   confirmation email per 10 minutes, three per day, whatever the IPs): nothing is sent;
 * - active subscriber: stays active, nothing is sent;
 * - new, pending, unsubscribed or bounced: pending, with a consent record and a confirmation email queued.
 */

export const IP_WINDOW_MS = 10 * 60_000;
export const ADDRESS_GAP_MS = 10 * 60_000;
export const ADDRESS_PER_DAY = 3;
const DAY_MS = 24 * 3_600_000;

export interface SignupPolicy {
  /** FINTECHWEEKLY_UNSUBSCRIBE_SECRET: keys the IP hashes, so that they cannot be reversed by trying every address. */
  secret: string;
  confirmHours: number;
  perIpPer10Minutes: number;
  /** The promise the form shows, kept in every consent record. */
  promise: string;
}

export interface SignupInput {
  email: string;
  name?: string | undefined;
  /** The hidden field's value: people leave it empty. */
  honeypot: string;
  /** The page the form was on. */
  sourcePage: string;
  ip: string;
  /** What the per-IP limit counts by (the IPv4 address or the IPv6 /64). */
  rateKey: string;
}

export type SignupDecision = 'queued' | 'already-active' | 'honeypot' | 'invalid' | 'ip-limit' | 'address-limit';

export interface SignupReport {
  decision: SignupDecision;
  /** Set when a confirmation email was queued. */
  signupId?: number;
  subscriberId?: number;
}

/** A keyed hash: the same input gives the same value for the same secret, and nothing can be read back. */
export function keyedHash(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}\n${value}`).digest('base64url').slice(0, 22);
}

/**
 * Decides and records a batch of submissions in ONE transaction (one commit, one fsync, for all
 * of them), in order: later ones see what earlier ones stored, so ten submissions of one address
 * in one batch queue one email.
 */
export function requestSignups(db: Db, policy: SignupPolicy, inputs: readonly SignupInput[], now: Date): SignupReport[] {
  const ipSince = new Date(now.getTime() - IP_WINDOW_MS);
  const daySince = new Date(now.getTime() - DAY_MS);
  const gapSince = new Date(now.getTime() - ADDRESS_GAP_MS).toISOString();
  const expiresAt = confirmExpiry(now, policy.confirmHours);
  return inUnsyncedTransaction(db, () =>
    inputs.map((input): SignupReport => {
      if (input.honeypot.trim() !== '') return { decision: 'honeypot' };
      const email = normalizeEmail(input.email);
      const name = normalizeName(input.name);
      if (!email.ok || !name.ok) return { decision: 'invalid' };
      const ipKey = keyedHash(policy.secret, 'signup-ip-limit', input.rateKey);
      if (countIpAttempts(db, ipKey, ipSince) >= policy.perIpPer10Minutes) return { decision: 'ip-limit' };
      recordIpAttempt(db, ipKey, now);
      const existing = getSubscriberByEmail(db, email.email);
      if (existing?.status === 'active') return { decision: 'already-active' };
      const recent = recentSignups(db, email.email, daySince);
      if (recent.count >= ADDRESS_PER_DAY || (recent.latest !== null && recent.latest >= gapSince)) return { decision: 'address-limit' };
      const ids = recordSignup(db, existing, {
        email: email.email,
        name: name.name,
        sourcePage: input.sourcePage,
        ipHash: keyedHash(policy.secret, 'signup-ip', input.ip),
        promise: policy.promise,
        at: now,
        expiresAt,
      });
      return { decision: 'queued', ...ids };
    }),
  );
}
