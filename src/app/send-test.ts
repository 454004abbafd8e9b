import type { Settings } from '../config/load.js';
import { personalizeMessage } from '../core/message/compose.js';
import { FintechWeeklyError, UsageError } from '../core/errors.js';
import { testMessageId } from '../core/message/message-id.js';
import { PREVIEW_TOKEN } from '../core/message/placeholders.js';
import type { SmtpOutcome } from '../core/smtp-reply.js';
import { ABORT_HINTS, composeIssue, openTransport, requireSecret } from './send-issue.js';

export interface TestSendResult {
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
export async function sendTest(settings: Settings, ref: string, options: { to?: string[]; outbox?: string | undefined; now?: Date }): Promise<TestSendResult> {
  requireSecret(settings);
  const recipients = options.to?.length ? options.to : settings.config.test.recipients;
  if (!recipients.length) {
    throw new UsageError('no test recipients: add --to ADDRESS or set test.recipients in fintechweekly.config.yaml');
  }
  const now = options.now ?? new Date();
  const { built, template } = await composeIssue(settings, ref, { test: true, now });
  const transport = await openTransport(settings, options.outbox);
  const results: TestSendResult['results'] = [];
  try {
    for (const to of recipients) {
      const message = personalizeMessage(template, { email: to, messageId: testMessageId(built.slug, to, settings.config.sender.fromEmail, now.getTime().toString(36)), token: PREVIEW_TOKEN });
      const outcome = await transport.send(message);
      if (outcome.kind === 'abort') throw new FintechWeeklyError(`the test send stopped: ${outcome.reply}`, { hint: ABORT_HINTS[outcome.fix ?? 'server'] });
      results.push({ to, outcome: outcome.kind, reply: outcome.reply });
    }
  } finally {
    await transport.close();
  }
  return { slug: built.slug, subject: template.subject, destination: transport.description, results };
}
