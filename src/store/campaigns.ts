import type { Db } from './db.js';

/** A campaign's own state (the campaigns.status column); its deliveries have states of their own. */
export type CampaignState = 'draft' | 'scheduled' | 'sending' | 'done' | 'cancelled';
/** Who set the send time: `schedule --at`, or a front matter send_at (which may only move its own). */
export type ScheduledBy = 'cli' | 'front-matter';

export interface Campaign {
  id: number;
  slug: string;
  issue_path: string;
  subject: string;
  status: CampaignState;
  send_at: string | null;
  content_hash: string | null;
  scheduled_by: ScheduledBy | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export function findCampaign(db: Db, slug: string): Campaign | undefined {
  return db.prepare('SELECT * FROM campaigns WHERE slug = ?').get(slug) as Campaign | undefined;
}

/** The campaign row of an issue, created on first use; subject and content follow the latest build. */
export function ensureCampaign(db: Db, issue: { slug: string; issuePath: string; subject: string; contentHash: string }, now: Date): Campaign {
  const at = now.toISOString();
  return db
    .prepare(
      `INSERT INTO campaigns (slug, issue_path, subject, content_hash, created_at, updated_at) VALUES (@slug, @issuePath, @subject, @contentHash, @at, @at)
       ON CONFLICT (slug) DO UPDATE SET issue_path = excluded.issue_path, subject = excluded.subject, content_hash = excluded.content_hash, updated_at = excluded.updated_at
       RETURNING *`,
    )
    .get({ ...issue, at }) as Campaign;
}

export function markCampaignSending(db: Db, id: number, now: Date): void {
  const at = now.toISOString();
  db.prepare(`UPDATE campaigns SET status = 'sending', started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?`).run(at, at, id);
}

/** Done when no delivery is left that a later run would send (deferred, unknown or pending). */
export function finishCampaign(db: Db, id: number, now: Date): boolean {
  const at = now.toISOString();
  const open = db.prepare(`SELECT 1 FROM deliveries WHERE campaign_id = ? AND state IN ('pending', 'sending', 'deferred', 'unknown') LIMIT 1`).get(id);
  if (open) return false;
  db.prepare(`UPDATE campaigns SET status = 'done', finished_at = ?, updated_at = ? WHERE id = ?`).run(at, at, id);
  return true;
}
