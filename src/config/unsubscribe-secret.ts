import { FintechWeeklyError } from '../core/errors.js';
import type { Settings } from './load.js';

/** The HMAC key of the unsubscribe links: every message carries one, so nothing is sent without it. */
export function requireUnsubscribeSecret(settings: Settings): string {
  const secret = settings.secrets.unsubscribeSecret;
  if (!secret) {
    throw new FintechWeeklyError('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: every message needs a signed unsubscribe link', {
      hint: 'Set it to a long random value and keep it (e.g. `export FINTECHWEEKLY_UNSUBSCRIBE_SECRET=$(openssl rand -hex 32)`); `serve` needs the same value to accept the links.',
    });
  }
  return secret;
}
