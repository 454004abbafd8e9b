import type { DeliveryCounts } from '../delivery/send-log.js';
import { findCampaign, type CampaignState } from './campaigns.js';
import type { Db } from './db.js';
import { countDeliveries } from './deliveries.js';

/** Where a campaign's send stands: deliveries counted by state, and the ones an editor should look at. */
export const PROBLEM_STATES = ['failed', 'unknown', 'deferred'] as const;
export type ProblemState = (typeof PROBLEM_STATES)[number];

export interface ProblemDelivery {
  email: string;
  state: ProblemState;
  attempts: number;
  lastCode: number | null;
  lastReply: string | null;
  nextAttemptAt: string | null;
  updatedAt: string;
}

export interface CampaignStatus {
  slug: string;
  subject: string;
  issuePath: string;
  campaignState: CampaignState;
  sendAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  total: number;
  counts: DeliveryCounts;
  /** Failed first, then unknown, then deferred; by address within each. */
  problems: ProblemDelivery[];
}

/** The slug of the campaign sent from this issue file (path relative to the project root), if any. */
export function findCampaignSlugByIssuePath(db: Db, issuePath: string): string | undefined {
  const row = db.prepare('SELECT slug FROM campaigns WHERE issue_path = ? ORDER BY id DESC LIMIT 1').get(issuePath) as { slug: string } | undefined;
  return row?.slug;
}

/** Undefined when no campaign has this slug. */
export function campaignStatus(db: Db, slug: string): CampaignStatus | undefined {
  const campaign = findCampaign(db, slug);
  if (!campaign) return undefined;
  const counts = countDeliveries(db, campaign.id);
  const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
  const problems = db
    .prepare(
      `SELECT email, state, attempts, last_code AS lastCode, last_reply AS lastReply, next_attempt_at AS nextAttemptAt, updated_at AS updatedAt
       FROM deliveries WHERE campaign_id = ? AND state IN ('failed', 'unknown', 'deferred')
       ORDER BY CASE state WHEN 'failed' THEN 0 WHEN 'unknown' THEN 1 ELSE 2 END, email`,
    )
    .all(campaign.id) as ProblemDelivery[];
  return {
    slug: campaign.slug,
    subject: campaign.subject,
    issuePath: campaign.issue_path,
    campaignState: campaign.status,
    sendAt: campaign.send_at,
    startedAt: campaign.started_at,
    finishedAt: campaign.finished_at,
    total,
    counts,
    problems,
  };
}
