import type { Settings } from '../config/load.js';
import { FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import { openSmtpTransport, resolveSmtpSettings, type SmtpSettings } from '../delivery/transport.js';
import { buildConfirmationEmail } from '../pipeline/confirmation-email.js';
import { loadSignupStrings, type SignupStrings } from '../serve/signup-strings.js';
import type { Db } from '../store/db.js';
import { createSignupDesk, type SignupDesk } from './signup-desk.js';
import { startSignupMailer, type SignupMailEvent } from './signup-mailer.js';
import { startMailerThread } from './signup-mailer-thread.js';
import { prepareWelcomeCampaign } from './signup-welcome.js';

/**
 * Everything the sign-up form needs while `serve` runs, checked before it starts listening: the
 * words, the confirmation email (rendered once), the welcome issue (built once), the SMTP setup,
 * and the mailer that sends what the form queues.
 */
export interface SignupService {
  desk: SignupDesk;
  strings: SignupStrings;
  /** Stops the mailer (what is in flight is finished and recorded); the store stays open. */
  stop(): Promise<void>;
}

export interface SignupServiceOptions {
  settings: Settings;
  db: Db;
  secret: string;
  now?: () => Date;
  onEvent?: (event: SignupMailEvent) => void;
  pollMs?: number;
}

/** Confirmation emails are few and small: two connections keep them moving without crowding the relay. */
const MAILER_CONNECTIONS = 2;

export async function openSignupService(options: SignupServiceOptions): Promise<SignupService> {
  const { settings, db, secret } = options;
  const { config } = settings;
  const now = options.now ?? (() => new Date());
  const smtp = signupSmtpSettings(settings);
  const strings = loadSignupStrings(settings, config.lang);
  const confirmation = await buildConfirmationEmail(settings, strings);
  const welcome = await prepareWelcomeCampaign(settings, db, now());
  const connections = Math.min(MAILER_CONNECTIONS, smtp.connections);
  // A test's clock, or TypeScript sources, keep the mailer in this thread (a worker cannot share either).
  const mailer =
    options.now !== undefined || import.meta.url.endsWith('.ts')
      ? startSignupMailer({ settings, db, secret, confirmation, welcome, openTransport: () => openSmtpTransport(smtp, connections), now, onEvent: options.onEvent, pollMs: options.pollMs })
      : startMailerThread({ settings, secret, confirmation, welcome, smtp, connections, onEvent: options.onEvent, pollMs: options.pollMs });
  const desk = createSignupDesk({
    db,
    policy: { secret, confirmHours: config.signup.confirmHours, perIpPer10Minutes: config.signup.perIpPer10Minutes, promise: strings.promise },
    welcome,
    now,
    onQueued: () => mailer.notify(),
  });
  return { desk, strings, stop: () => mailer.stop() };
}

function signupSmtpSettings(settings: Settings): SmtpSettings {
  try {
    return resolveSmtpSettings(settings.config, settings.secrets, settings.root);
  } catch (error) {
    if (!isFintechWeeklyError(error)) throw error;
    throw new FintechWeeklyError(`the sign-up form sends confirmation emails, but ${error.message}`, {
      cause: error,
      hint: `${error.hint ?? ''} To run serve without the form, set signup.enabled: false in the config.`.trim(),
    });
  }
}
