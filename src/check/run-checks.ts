import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { checkLinks } from './rules/links.js';
import { parseCheckedMessage } from './rules/checked-message.js';
import { type CheckResult, type CheckStatus, countByStatus } from './rules/result.js';
import { checkSize } from './rules/size.js';
import { checkStructure } from './rules/structure.js';
import { personalizeMessage } from '../core/message/compose.js';
import { deliveryMessageId } from '../core/message/message-id.js';
import { createUnsubscribeToken } from '../core/message/token.js';

/** The reader the check composes for: shaped like a real subscriber, at an address nobody owns. */
export const SAMPLE_SUBSCRIBER = { id: 1, email: 'subscriber@example.com', name: null } as const;

export interface CheckOptions {
  env: NodeJS.ProcessEnv;
  now: Date;
  /** Save the rendering screenshots here. */
  screenshotsDir?: string | undefined;
  /** Look up SPF, DKIM and DMARC records (network). Off by default. */
  dns?: boolean | undefined;
  /** Called before each slow step, for the CLI's progress lines. */
  onStep?: ((message: string) => void) | undefined;
}

export interface CheckReport {
  slug: string;
  file: string;
  subject: string;
  results: CheckResult[];
  /** Things the editor should know about how the check ran (not about the email). */
  notes: string[];
  screenshots: string[];
  counts: Record<CheckStatus, number>;
  /** True when any check failed: `check` exits 1 and `send` refuses without --force. */
  failed: boolean;
}

/**
 * Composes the real message for one sample subscriber, exactly as `send` would (same build, same
 * template, a real signed token, DKIM-signed when configured), and runs every check over it.
 */
export async function runChecks(settings: Settings, ref: string, options: CheckOptions): Promise<CheckReport> {
  const step = options.onStep ?? (() => undefined);
  const notes: string[] = [];
  const { config } = settings;
  let secret = settings.secrets.unsubscribeSecret;
  if (!secret) {
    secret = randomBytes(32).toString('hex');
    notes.push('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: this check used a throwaway secret for the sample unsubscribe link (send refuses to run without the real one).');
  }

  step('building and composing the message');
  const { composeIssue } = await import('../pipeline/compose-issue.js');
  const { built, template } = await composeIssue(settings, ref, { now: options.now });
  const sample = SAMPLE_SUBSCRIBER;
  const { raw } = personalizeMessage(template, {
    email: sample.email,
    name: sample.name,
    messageId: deliveryMessageId(built.slug, config.sender.fromEmail),
    token: createUnsubscribeToken(secret, sample.id, sample.email),
  });
  const message = await parseCheckedMessage(raw);

  const results: CheckResult[] = [];
  results.push(checkStructure(message, { headline: built.frontMatter.title, preheader: built.preheader }));
  results.push(checkSize(message.html));
  results.push(checkLinks(message.html));

  const { checkDkim } = await import('./tools/dkim-verify.js');
  const { createSigner } = await import('../delivery/transport.js');
  const dkimKey = config.dkim && { domainName: config.dkim.domain, keySelector: config.dkim.selector, privateKeyFile: path.resolve(settings.root, config.dkim.privateKeyPath) };
  // The transport's own signer, so the check verifies exactly what `send` puts on the wire.
  const sign = dkimKey ? async (message: Buffer) => (await createSigner(dkimKey))(message) : undefined;
  const dkim = await checkDkim(raw, config, settings.root, sign);

  const [{ checkSpamScore }, { checkClientSupport }, { checkRendering }] = await Promise.all([import('./tools/spamassassin.js'), import('./tools/doiuse-email.js'), import('./tools/browser-rendering.js')]);
  // SpamAssassin and Chromium are separate processes: running them side by side saves seconds.
  step('SpamAssassin (local tests), Chromium at 600 and 375 px, client support against MJML\'s baseline');
  const spam = checkSpamScore(dkim.raw, config.check.spamThreshold, options.env);
  const rendering = checkRendering(
    message.html,
    {
      visibleTexts: [
        { label: 'tagline', text: config.brand.tagline },
        { label: 'headline', text: built.frontMatter.title },
      ],
      screenshotsDir: options.screenshotsDir,
      slug: built.slug,
    },
    options.env,
  );
  const [spamResult, clientSupport, { screenshots, ...renderingResult }] = await Promise.all([spam, checkClientSupport(message.html), rendering]);
  results.push(spamResult, clientSupport, renderingResult);
  results.push(dkim.result);

  if (options.dns) {
    step('looking up SPF, DKIM and DMARC records');
    const { checkDnsRecords } = await import('./tools/dns-hints.js');
    results.push(await checkDnsRecords(config, settings.root));
  }

  const counts = countByStatus(results);
  return { slug: built.slug, file: built.file, subject: template.subject, results, notes, screenshots, counts, failed: counts.fail > 0 };
}

/** What `send` runs before sending: everything but the DNS lookups. */
export function runOfflineChecks(settings: Settings, ref: string, options: Omit<CheckOptions, 'dns'>): Promise<CheckReport> {
  return runChecks(settings, ref, { ...options, dns: false });
}
