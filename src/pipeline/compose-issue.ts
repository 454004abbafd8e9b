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
  const template = composeTemplate(built, {
    sender: config.sender,
    publicUrl: config.publicUrl,
    listId: config.listId,
    unsubscribeMailto: config.unsubscribeMailto,
    date: options.now,
    test: options.test ?? false,
  });
  return { built, template };
}
