import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import type { LockHolder } from '../delivery/send-log.js';
import type { SendCounts } from '../delivery/send-run.js';
import type { Transport } from '../delivery/transport.js';
import { readIssueFile, resolveIssueRef } from '../pipeline/issue-files.js';
import { sqliteCampaignSource } from '../store/campaign-source.js';
import type { Db } from '../store/db.js';
import { acquireLock } from '../store/locks.js';
import { dueCampaigns, listSchedules, type DueCampaign } from '../store/schedule.js';
import type { ScanBouncesReport, ScannedMessage } from './scan-bounces.js';
import type { SendEvent, SendReport, StopSignals } from './send-issue.js';
import { syncFrontMatterSchedules, type FrontMatterScheduleReport } from './sync-front-matter-schedules.js';

/**
 * `dispatch`, for cron: one dispatcher at a time brings the schedule in line with the issues' front
 * matter, then sends what is due: scheduled issues whose time has come (after the same check as
 * `send`), sends a run left unfinished, deferred deliveries whose retry time has passed.
 */

export interface DispatchInput {
  /** The environment the preflight check's tools (SpamAssassin, Chromium) run with. */
  env: NodeJS.ProcessEnv;
}

export interface DispatchDeps {
  store: Db;
  /** Default: the configured SMTP server. */
  openTransport?: () => Promise<Transport>;
  now: () => Date;
  onEvent?: ((event: DispatchEvent) => void) | undefined;
  signals?: StopSignals | undefined;
}

export type DispatchEvent =
  | { type: 'front-matter'; report: FrontMatterScheduleReport }
  | { type: 'busy'; slug: string; holder: LockHolder }
  | { type: 'campaign'; campaign: DueCampaign }
  | { type: 'check'; slug: string; line: string }
  | { type: 'send'; slug: string; event: SendEvent }
  | { type: 'sent'; slug: string; report: SendReport }
  | { type: 'error'; slug: string; error: FintechWeeklyError }
  | { type: 'bounce'; message: ScannedMessage }
  | { type: 'bounces'; report: ScanBouncesReport }
  | { type: 'bounces-warning'; line: string }
  | { type: 'bounces-error'; error: FintechWeeklyError };

export interface CampaignDispatch {
  slug: string;
  reason: DueCampaign['reason'];
  outcome: 'sent' | 'incomplete' | 'busy' | 'error';
  summary?: SendReport;
  error?: string;
}

export type DispatchReport =
  | { ran: false; otherDispatch: LockHolder }
  | {
      ran: true;
      frontMatter: FrontMatterScheduleReport;
      /** In the order they were due; empty when nothing was. */
      campaigns: CampaignDispatch[];
      totals: SendCounts;
      /** When nothing was due: the next scheduled issue. */
      next: { slug: string; sendAt: string } | undefined;
      /** The signal that stopped the dispatch, and the due campaigns it did not start. */
      stopped?: { reason: string; notStarted: string[] };
      /** Config bounce.source, read before sending; an error when it could not be read. */
      bounces?: ScanBouncesReport | { error: string } | undefined;
    };

export async function dispatch(settings: Settings, input: DispatchInput, deps: DispatchDeps): Promise<DispatchReport> {
  const { store: db, now } = deps;
  const emit = (event: DispatchEvent) => deps.onEvent?.(event);
  const lock = acquireLock(db, 'dispatch', now());
  if (!lock.acquired) return { ran: false, otherDispatch: lock.holder };
  try {
    const frontMatter = syncFrontMatterSchedules(settings, db, now());
    emit({ type: 'front-matter', report: frontMatter });
    // Bounces first: whoever bounced or complained since the last run is not mailed again.
    const bounces = await scanBounceSource(settings, emit);
    const due = dueCampaigns(db, now());
    const totals: SendCounts = { sent: 0, failed: 0, deferred: 0, unknown: 0, skipped: 0 };
    if (due.length === 0) {
      const next = listSchedules(db).find((e) => e.status === 'scheduled' && e.sendAt);
      return { ran: true, frontMatter, campaigns: [], totals, next: next?.sendAt ? { slug: next.slug, sendAt: next.sendAt } : undefined, bounces };
    }
    const campaigns: CampaignDispatch[] = [];
    const stop = deps.signals?.stop;
    for (const [i, campaign] of due.entries()) {
      const report = stop?.aborted ? undefined : await dispatchOne(settings, input, deps, campaign, emit);
      if (!report) {
        return { ran: true, frontMatter, campaigns, totals, next: undefined, stopped: { reason: String(stop?.reason), notStarted: due.slice(i).map((c) => c.slug) }, bounces };
      }
      campaigns.push(report);
      for (const key of Object.keys(totals) as (keyof SendCounts)[]) totals[key] += report.summary?.[key] ?? 0;
    }
    return { ran: true, frontMatter, campaigns, totals, next: undefined, ...(stop?.aborted ? { stopped: { reason: String(stop.reason), notStarted: [] } } : {}), bounces };
  } finally {
    lock.release();
  }
}

/** Config bounce.source, when set; a mailbox that cannot be read is reported and does not stop the sends. */
async function scanBounceSource(settings: Settings, emit: (event: DispatchEvent) => void): Promise<ScanBouncesReport | { error: string } | undefined> {
  if (!settings.config.bounce.source) return undefined;
  // Cron runs dispatch every few minutes, mostly with nothing to do: the scanner, the send engine
  // and the preflight check load only when there is work for them.
  const { scanConfiguredBounces } = await import('./scan-bounces.js');
  try {
    const report = await scanConfiguredBounces(settings, { onMessage: (message) => emit({ type: 'bounce', message }), onWarning: (line) => emit({ type: 'bounces-warning', line }) });
    if (report) emit({ type: 'bounces', report });
    return report;
  } catch (error) {
    if (!isFintechWeeklyError(error)) throw error;
    emit({ type: 'bounces-error', error });
    return { error: error.message };
  }
}

/** Undefined when a stop came before the send began: the campaign is left as it was. */
async function dispatchOne(settings: Settings, input: DispatchInput, deps: DispatchDeps, campaign: DueCampaign, emit: (event: DispatchEvent) => void): Promise<CampaignDispatch | undefined> {
  const { slug, reason } = campaign;
  const store = sqliteCampaignSource(deps.store);
  // A `send` of this issue started by hand is left alone (sendIssue takes the lock itself; this
  // only tells "busy" apart from an error in the log).
  const probe = store.lockCampaign(slug, deps.now());
  if (!probe.acquired) {
    emit({ type: 'busy', slug, holder: probe.holder });
    return { slug, reason, outcome: 'busy' };
  }
  probe.release();
  try {
    const file = resolveIssueRef(settings, path.resolve(settings.root, campaign.issuePath));
    const head = readIssueFile(settings, file);
    if (head.slug !== slug) {
      throw new FintechWeeklyError(`${campaign.issuePath} is now the issue "${head.slug}", but "${slug}" was scheduled from it`, {
        hint: `Schedule it again under its new slug (\`fintechweekly schedule ${head.slug} --at WHEN\`) and cancel the old one (\`fintechweekly schedule cancel ${slug}\`).`,
      });
    }
    emit({ type: 'campaign', campaign });
    // The same preflight as `send --yes`, before anyone has received the issue; a send already
    // under way is finished as it started.
    if (reason === 'scheduled') await (await import('./preflight.js')).refuseFailingIssue(settings, file, input.env, deps.now(), (line) => emit({ type: 'check', slug, line }));
    if (deps.signals?.stop.aborted) return undefined;
    const { sendIssue } = await import('./send-issue.js');
    const summary = await sendIssue(settings, { ref: file }, { store, openTransport: deps.openTransport, now: deps.now, onEvent: (event) => emit({ type: 'send', slug, event }), signals: deps.signals });
    emit({ type: 'sent', slug, report: summary });
    return { slug, reason, outcome: summary.incomplete ? 'incomplete' : 'sent', summary };
  } catch (error) {
    if (!isFintechWeeklyError(error)) throw error;
    emit({ type: 'error', slug, error });
    return { slug, reason, outcome: 'error', error: error.message };
  }
}
