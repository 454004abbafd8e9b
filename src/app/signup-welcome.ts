import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import { ensureCampaign } from '../store/campaigns.js';
import type { Db } from '../store/db.js';
import { composeIssue } from '../pipeline/compose-issue.js';

/**
 * The optional welcome email (config signup.welcome): an issue file built with the same pipeline
 * as any issue, sent once to each reader who confirms. Its deliveries live in the send log under
 * their own campaign, `welcome:<slug>`, so they can never stand in for (or block) a real send of
 * the same file, and the UNIQUE (campaign, address) row makes "once" hold across restarts.
 * The campaign stays a draft: schedule and dispatch never pick it up.
 */
export interface WelcomeCampaign {
  campaignId: number;
  campaignSlug: string;
  /** Absolute path of the issue file. */
  file: string;
  fromEmail: string;
}

export const WELCOME_CAMPAIGN_PREFIX = 'welcome:';

/** Builds the welcome issue (so that a broken file stops `serve` at start, not at the first confirmation) and makes sure its campaign exists. */
export async function prepareWelcomeCampaign(settings: Settings, db: Db, now: Date): Promise<WelcomeCampaign | undefined> {
  const ref = settings.config.signup.welcome;
  if (!ref) return undefined;
  const file = path.resolve(settings.root, ref);
  if (!existsSync(file)) {
    throw new FintechWeeklyError(`signup.welcome: ${ref} does not exist (looked for ${file})`, {
      hint: 'Name a Markdown issue file relative to the project folder, e.g. welcome/welcome.md, or remove signup.welcome from the config.',
    });
  }
  let composed: Awaited<ReturnType<typeof composeIssue>>;
  try {
    composed = await composeIssue(settings, file, { now });
  } catch (error) {
    if (!isFintechWeeklyError(error)) throw error;
    throw new FintechWeeklyError(`signup.welcome: ${error.message}`, { file, cause: error, hint: error.hint });
  }
  const { built, template } = composed;
  const campaignSlug = `${WELCOME_CAMPAIGN_PREFIX}${built.slug}`;
  const campaign = ensureCampaign(db, { slug: campaignSlug, issuePath: path.relative(settings.root, file), subject: template.subject, contentHash: built.contentHash }, now);
  return { campaignId: campaign.id, campaignSlug, file, fromEmail: settings.config.sender.fromEmail };
}
