import type { Settings } from '../config/load.js';
import { requireUnsubscribeSecret } from '../config/unsubscribe-secret.js';
import { FintechWeeklyError, UsageError } from '../core/errors.js';
import { personalizeMessage } from '../core/message/compose.js';
import { testMessageId } from '../core/message/message-id.js';
import { PREVIEW_TOKEN } from '../core/message/placeholders.js';
import type { SmtpOutcome } from '../core/smtp-reply.js';
import { ABORT_HINTS, openTransport, type Transport } from '../delivery/transport.js';
import { composeIssue } from '../pipeline/compose-issue.js';

export interface TestSendInput {
  /** The issue file or its slug. */
  ref: string;
  /** Checked addresses; default config test.recipients. */
  to?: string[] | undefined;
  /** Write .eml files into this folder instead of sending. */
  outbox?: string | undefined;
}

export interface TestSendDeps {
  /** Default: the configured SMTP server, or the --outbox folder. */
  openTransport?: () => Promise<Transport>;
  now: () => Date;
}

export interface TestSendReport {
  slug: string;
  subject: string;
  destination: string;
  results: { to: string; outcome: SmtpOutcome['kind']; reply: string }[];
}

/**
 * `send ISSUE --test`: the real composition (subject prefixed "[TEST] ") to the editors only.
 * Not a delivery: nothing is written to the send log, and the unsubscribe link carries the
 * preview token, which unsubscribes nobody.
 */
export async function sendTest(settings: Settings, input: TestSendInput, deps: TestSendDeps): Promise<TestSendReport> {
  requireUnsubscribeSecret(settings);
  const recipients = input.to?.length ? input.to : settings.config.test.recipients;
  if (!recipients.length) {
    throw new UsageError('no test recipients: add --to ADDRESS or set test.recipients in fintechweekly.config.yaml');
  }
  const now = deps.now();
  const { built, template } = await composeIssue(settings, input.ref, { test: true, now });
  const transport = await (deps.openTransport ?? (() => openTransport(settings, input.outbox)))();
  const results: TestSendReport['results'] = [];
  try {
    for (const to of recipients) {
      const message = personalizeMessage(template, { email: to, messageId: testMessageId(built.slug, settings.config.sender.fromEmail), token: PREVIEW_TOKEN });
      const outcome = await transport.send(message);
      if (outcome.kind === 'abort') throw new FintechWeeklyError(`the test send stopped: ${outcome.reply}`, { hint: ABORT_HINTS[outcome.fix ?? 'server'] });
      results.push({ to, outcome: outcome.kind, reply: outcome.reply });
    }
  } finally {
    await transport.close();
  }
  return { slug: built.slug, subject: template.subject, destination: transport.description, results };
}
