import { FintechWeeklyError } from '../core/errors.js';
import type { DeliveryCounts } from '../delivery/send-log.js';
import { findCampaign, type Campaign, type CampaignState, type ScheduledBy } from './campaigns.js';
import type { Db } from './db.js';
import { countDeliveries } from './deliveries.js';

/**
 * The schedule lives in the campaigns table: one row per issue, so scheduling an issue again moves
 * its time and can never create a second send. status 'scheduled' + send_at is a pending schedule;
 * the send engine turns it into 'sending' and then 'done'.
 */

export interface ScheduleEntry {
  slug: string;
  issuePath: string;
  subject: string;
  status: CampaignState;
  /** ISO 8601 UTC. */
  sendAt: string | null;
  scheduledBy: ScheduledBy | null;
  startedAt: string | null;
  finishedAt: string | null;
  counts: DeliveryCounts;
}

export interface ScheduleRequest {
  slug: string;
  /** Relative to the project root. */
  issuePath: string;
  subject: string;
  sendAt: Date;
  now: Date;
}

/** Why an editor may not (re)schedule or cancel a campaign in this state, or undefined. */
function refusal(row: Campaign, what: string): FintechWeeklyError | undefined {
  if (row.status === 'sending') {
    return new FintechWeeklyError(`cannot ${what} ${row.slug}: it is being sent now, or a send of it was interrupted`, {
      hint: `See its progress with \`fintechweekly status ${row.slug}\`; the next \`fintechweekly dispatch\` (or \`send\`) finishes an interrupted send.`,
    });
  }
  if (row.status === 'done') {
    return new FintechWeeklyError(`cannot ${what} ${row.slug}: it was already sent${row.finished_at ? ` (finished ${row.finished_at})` : ''}`, {
      hint: `An issue is sent once. See who received it with \`fintechweekly status ${row.slug}\`.`,
    });
  }
  return undefined;
}

/**
 * Schedules an issue at `sendAt`, or moves its existing schedule there (`schedule ISSUE --at`).
 * Returns the previous send time when there was one.
 */
export function scheduleCampaign(db: Db, request: ScheduleRequest): { previousSendAt: string | null } {
  return db
    .transaction(() => {
      const existing = findCampaign(db, request.slug);
      const now = request.now.toISOString();
      const sendAt = request.sendAt.toISOString();
      if (!existing) {
        db.prepare(
          `INSERT INTO campaigns (slug, issue_path, subject, status, send_at, scheduled_by, created_at, updated_at)
           VALUES (?, ?, ?, 'scheduled', ?, 'cli', ?, ?)`,
        ).run(request.slug, request.issuePath, request.subject, sendAt, now, now);
        return { previousSendAt: null };
      }
      const refused = refusal(existing, 'schedule');
      if (refused) throw refused;
      db.prepare(
        `UPDATE campaigns SET status = 'scheduled', send_at = ?, scheduled_by = 'cli', issue_path = ?, subject = ?, updated_at = ? WHERE id = ?`,
      ).run(sendAt, request.issuePath, request.subject, now, existing.id);
      return { previousSendAt: existing.status === 'scheduled' ? existing.send_at : null };
    })
    .immediate();
}

/** `schedule cancel ISSUE`: the issue stays unsent until it is scheduled or sent again. */
export function cancelSchedule(db: Db, slug: string, now: Date): { sendAt: string | null } {
  return db
    .transaction(() => {
      const existing = findCampaign(db, slug);
      if (!existing || existing.status === 'draft' || existing.status === 'cancelled') {
        throw new FintechWeeklyError(`${slug} is not scheduled, so there is nothing to cancel`, {
          hint: 'See what is scheduled with `fintechweekly schedule list`.',
        });
      }
      const refused = refusal(existing, 'cancel');
      if (refused) throw refused;
      db.prepare(`UPDATE campaigns SET status = 'cancelled', updated_at = ? WHERE id = ?`).run(now.toISOString(), existing.id);
      return { sendAt: existing.send_at };
    })
    .immediate();
}

export type FrontMatterScheduleChange =
  | { change: 'scheduled'; sendAt: string }
  | { change: 'moved'; sendAt: string; previousSendAt: string | null }
  | { change: 'unscheduled'; previousSendAt: string | null };

/**
 * Brings the schedule in line with an issue's front matter `send_at` (undefined when it has none).
 * The front matter schedules an issue nobody scheduled yet, and moves or drops a schedule it set
 * itself; it never overrides `schedule --at`, a cancel, or a send that started.
 */
export function syncFrontMatterSchedule(db: Db, request: Omit<ScheduleRequest, 'sendAt'> & { sendAt: Date | undefined }): FrontMatterScheduleChange | undefined {
  return db
    .transaction((): FrontMatterScheduleChange | undefined => {
      const existing = findCampaign(db, request.slug);
      const now = request.now.toISOString();
      const sendAt = request.sendAt?.toISOString();
      if (!existing) {
        if (sendAt === undefined) return undefined;
        db.prepare(
          `INSERT INTO campaigns (slug, issue_path, subject, status, send_at, scheduled_by, created_at, updated_at)
           VALUES (?, ?, ?, 'scheduled', ?, 'front-matter', ?, ?)`,
        ).run(request.slug, request.issuePath, request.subject, sendAt, now, now);
        return { change: 'scheduled', sendAt };
      }
      const ownSchedule = existing.status === 'scheduled' && existing.scheduled_by === 'front-matter';
      if (sendAt === undefined) {
        if (!ownSchedule) return undefined;
        db.prepare(`UPDATE campaigns SET status = 'draft', send_at = NULL, scheduled_by = NULL, updated_at = ? WHERE id = ?`).run(now, existing.id);
        return { change: 'unscheduled', previousSendAt: existing.send_at };
      }
      if (existing.status === 'draft' || (ownSchedule && existing.send_at !== sendAt)) {
        db.prepare(
          `UPDATE campaigns SET status = 'scheduled', send_at = ?, scheduled_by = 'front-matter', issue_path = ?, subject = ?, updated_at = ? WHERE id = ?`,
        ).run(sendAt, request.issuePath, request.subject, now, existing.id);
        return existing.status === 'draft' ? { change: 'scheduled', sendAt } : { change: 'moved', sendAt, previousSendAt: existing.send_at };
      }
      return undefined;
    })
    .immediate();
}

export type DueReason = 'scheduled' | 'interrupted' | 'deferred';

export interface DueCampaign {
  slug: string;
  issuePath: string;
  sendAt: string | null;
  reason: DueReason;
}

/**
 * What `dispatch` has to do at `now`, oldest first:
 * - scheduled campaigns whose time has come;
 * - campaigns a run left unfinished: still 'sending' with deliveries pending or in flight, or with
 *   none snapshotted yet (a crash, or a send running right now: the campaign lock tells them apart);
 * - campaigns with deferred deliveries whose retry time has passed (the engine gives a delivery
 *   that used up its attempts in a run the longest backoff, so a throttling server is not asked
 *   again by every cron run).
 * A campaign that only has `unknown` deliveries left is not due: those are not resent without
 * `send --retry-unknown`, so dispatching it would only repeat the same report every few minutes.
 */
export function dueCampaigns(db: Db, now: Date): DueCampaign[] {
  const rows = db
    .prepare(
      `SELECT slug, issue_path, send_at,
              CASE
                WHEN status = 'scheduled' THEN 'scheduled'
                WHEN status = 'sending' AND (
                  EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = c.id AND d.state IN ('pending', 'sending'))
                  OR NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.campaign_id = c.id)) THEN 'interrupted'
                WHEN status IN ('sending', 'done') AND EXISTS (
                  SELECT 1 FROM deliveries d
                   WHERE d.campaign_id = c.id AND d.state = 'deferred'
                     AND d.next_attempt_at <= @now) THEN 'deferred'
              END AS reason
         FROM campaigns c
        WHERE reason IS NOT NULL AND (status <> 'scheduled' OR send_at <= @now)
        ORDER BY COALESCE(send_at, started_at, created_at), id`,
    )
    .all({ now: now.toISOString() }) as { slug: string; issue_path: string; send_at: string | null; reason: DueReason }[];
  return rows.map((r) => ({ slug: r.slug, issuePath: r.issue_path, sendAt: r.send_at, reason: r.reason }));
}

/** Every campaign except drafts, with its delivery counts: pending schedules first by time, then running, then done. */
export function listSchedules(db: Db): ScheduleEntry[] {
  const rows = db
    .prepare(
      `SELECT * FROM campaigns WHERE status <> 'draft'
        ORDER BY CASE status WHEN 'scheduled' THEN 0 WHEN 'sending' THEN 1 WHEN 'done' THEN 2 ELSE 3 END,
                 CASE status WHEN 'scheduled' THEN send_at END ASC,
                 COALESCE(finished_at, started_at, send_at, updated_at) DESC, id DESC`,
    )
    .all() as Campaign[];
  return rows.map((row) => {
    const counts = countDeliveries(db, row.id);
    return {
      slug: row.slug,
      issuePath: row.issue_path,
      subject: row.subject,
      status: row.status,
      sendAt: row.send_at,
      scheduledBy: row.scheduled_by,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      counts,
    };
  });
}
