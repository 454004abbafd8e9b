import type { Settings } from '../config/load.js';
import { composeTemplate } from '../core/message/compose.js';
import { buildIssue } from './build-issue.js';

/**
 * An issue as `send`, `send --test` and `check` mail it: built, and its message template composed
 * once; composeTemplate checks every header value.
 */
export async function composeIssue(settings: Settings, ref: string, options: { test?: boolean; now: Date }) {
  const built = await buildIssue(settings, ref);
  const { config } = settings;
  const secret = settings.secrets.unsubscribeSecret;
  const template = composeTemplate(built, {
    // Each delivery's envelope sender becomes its VERP address (bounces name their delivery).
    bounce: config.bounce.address && secret ? { address: config.bounce.address, secret } : undefined,
    sender: config.sender,
    publicUrl: config.publicUrl,
    listId: config.listId,
    unsubscribeMailto: config.unsubscribeMailto,
    date: options.now,
    test: options.test ?? false,
  });
  return { built, template };
}
