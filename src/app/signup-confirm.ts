import { parseConfirmToken, verifyConfirmToken } from '../core/message/confirm-token.js';
import { deliveryMessageId } from '../core/message/message-id.js';
import type { Db } from '../store/db.js';
import { activateSignup, inSignupTransaction, queueWelcomeDelivery, signupToConfirm, type SignupToConfirm } from '../store/signups.js';

/**
 * The confirmation link. Looking (GET) never changes anything, because link scanners and
 * previews fetch every URL in a message; confirming (POST) makes the subscriber active, records
 * the time on the sign-up and, when a welcome issue is configured, queues it in the send log.
 */

export type ConfirmationProblem = 'invalid' | 'expired' | 'used';
export type ConfirmationView = { kind: 'ready'; email: string } | { kind: ConfirmationProblem };
export type ConfirmationOutcome = { kind: 'confirmed'; subscriberId: number; welcomeQueued: boolean } | { kind: ConfirmationProblem };

/** The welcome issue's campaign (see signup-welcome.ts). */
export interface WelcomeTarget {
  campaignId: number;
  campaignSlug: string;
  fromEmail: string;
}

// An unknown sign-up id is checked against a stand-in address, so it costs the same HMAC work as a wrong mac.
const NOBODY = 'nobody@invalid.invalid';

function check(db: Db, secret: string, token: string, now: Date): { view: ConfirmationView; signup?: SignupToConfirm } {
  const claim = parseConfirmToken(token);
  if (!claim) return { view: { kind: 'invalid' } };
  const signup = signupToConfirm(db, claim.signupId);
  const authentic = verifyConfirmToken(secret, token, claim.signupId, signup?.email ?? NOBODY);
  // The mac covers the token's expiry; the row says which expiry was issued for this sign-up.
  if (!signup || !authentic || claim.expiresAt.toISOString() !== signup.expiresAt) return { view: { kind: 'invalid' } };
  if (signup.confirmedAt !== null || signup.status === 'active') return { view: { kind: 'used' } };
  if (now.getTime() >= claim.expiresAt.getTime()) return { view: { kind: 'expired' } };
  // Unsubscribed or bounced since this sign-up (the reader said "not me"): only a new sign-up counts.
  if (signup.status !== 'pending') return { view: { kind: 'invalid' } };
  return { view: { kind: 'ready', email: signup.email }, signup };
}

export function inspectConfirmation(db: Db, secret: string, token: string, now: Date): ConfirmationView {
  return check(db, secret, token, now).view;
}

export function confirmSignup(db: Db, secret: string, token: string, now: Date, welcome?: WelcomeTarget): ConfirmationOutcome {
  return inSignupTransaction(db, (): ConfirmationOutcome => {
    const { view, signup } = check(db, secret, token, now);
    if (view.kind !== 'ready' || !signup) return view.kind === 'ready' ? { kind: 'invalid' } : view;
    if (!activateSignup(db, signup, now)) return { kind: 'used' };
    const welcomeQueued = welcome ? queueWelcomeDelivery(db, welcome.campaignId, signup.subscriberId, () => deliveryMessageId(welcome.campaignSlug, welcome.fromEmail), now) : false;
    return { kind: 'confirmed', subscriberId: signup.subscriberId, welcomeQueued };
  });
}
