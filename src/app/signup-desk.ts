import type { Db } from '../store/db.js';
import { pruneIpAttempts } from '../store/signups.js';
import { confirmSignup, inspectConfirmation, type ConfirmationOutcome, type ConfirmationView, type WelcomeTarget } from './signup-confirm.js';
import { IP_WINDOW_MS, requestSignups, type SignupInput, type SignupPolicy, type SignupReport } from './signup-request.js';

/**
 * The sign-up use-cases as `serve` calls them, one request at a time. Submissions that arrive
 * together are recorded together: each waits for the current turn of the event loop to end, then
 * the whole batch is one transaction. With the store's synchronous=FULL every commit waits for
 * the disk (several milliseconds here); one commit per batch instead of per request is what
 * lets the form take hundreds of submissions a second, and no answer is sent before its commit.
 */
export interface SignupDesk {
  submit(input: SignupInput): Promise<SignupReport>;
  inspect(token: string): Promise<ConfirmationView>;
  confirm(token: string): Promise<ConfirmationOutcome>;
}

export interface SignupDeskOptions {
  db: Db;
  policy: SignupPolicy;
  welcome?: WelcomeTarget | undefined;
  now?: () => Date;
  /** After a batch that queued confirmation emails, or a confirmation that queued a welcome email. */
  onQueued?: () => void;
}

const PRUNE_EVERY_MS = 60_000;

export function createSignupDesk(options: SignupDeskOptions): SignupDesk {
  const { db, policy } = options;
  const now = options.now ?? (() => new Date());
  let batch: { input: SignupInput; resolve: (report: SignupReport) => void; reject: (error: unknown) => void }[] = [];
  let lastPrune = 0;

  const flush = () => {
    const current = batch;
    batch = [];
    const at = now();
    try {
      const reports = requestSignups(
        db,
        policy,
        current.map((entry) => entry.input),
        at,
      );
      current.forEach((entry, i) => entry.resolve(reports[i] as SignupReport));
      if (reports.some((r) => r.decision === 'queued')) options.onQueued?.();
      if (at.getTime() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = at.getTime();
        pruneIpAttempts(db, new Date(at.getTime() - IP_WINDOW_MS));
      }
    } catch (error) {
      for (const entry of current) entry.reject(error);
    }
  };

  return {
    submit(input) {
      return new Promise((resolve, reject) => {
        if (batch.length === 0) setImmediate(flush);
        batch.push({ input, resolve, reject });
      });
    },
    async inspect(token) {
      return inspectConfirmation(db, policy.secret, token, now());
    },
    async confirm(token) {
      const outcome = confirmSignup(db, policy.secret, token, now(), options.welcome);
      if (outcome.kind === 'confirmed' && outcome.welcomeQueued) options.onQueued?.();
      return outcome;
    },
  };
}
