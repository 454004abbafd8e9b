import type { Settings } from '../config/load.js';
import type { CheckResult, CheckStatus } from '../check/rules/result.js';
import { runChecks } from '../check/run-checks.js';

export interface CheckIssueInput {
  /** The issue file (absolute, or relative to the current folder) or its slug. */
  ref: string;
  /** Save the 600 px and 375 px renderings here (an absolute folder). */
  screenshotsDir?: string | undefined;
  /** Also look up the From domain's SPF, DKIM and DMARC records (network). */
  dns: boolean;
}

export interface CheckIssueDeps {
  /** The environment SpamAssassin and Chromium are found and run in. */
  env: NodeJS.ProcessEnv;
  now: () => Date;
  /** Called before each slow step. */
  onStep?: (message: string) => void;
}

/** What `check --json` prints. */
export interface CheckIssueReport {
  slug: string;
  /** Absolute path of the issue file. */
  file: string;
  subject: string;
  /** False when any check failed: `check` exits 1, `send` refuses without --force. */
  ok: boolean;
  counts: Record<CheckStatus, number>;
  results: CheckResult[];
  /** How the check ran, when the editor should know (a throwaway secret, say). */
  notes: string[];
  screenshots: string[];
}

/** `check`: composes the message as `send` would, for one sample subscriber, and runs every check over it. */
export async function checkIssue(settings: Settings, input: CheckIssueInput, deps: CheckIssueDeps): Promise<CheckIssueReport> {
  const report = await runChecks(settings, input.ref, { env: deps.env, now: deps.now(), screenshotsDir: input.screenshotsDir, dns: input.dns, onStep: deps.onStep });
  return { slug: report.slug, file: report.file, subject: report.subject, ok: !report.failed, counts: report.counts, results: report.results, notes: report.notes, screenshots: report.screenshots };
}
