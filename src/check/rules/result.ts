/**
 * What `check` reports: one result per check, each pass / warn / fail with a one-line reason, and
 * the findings behind it so an editor can see every problem, not only the first.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface Finding {
  status: CheckStatus;
  message: string;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  reason: string;
  /** Every problem found (warn and fail), and for some checks informative lines. */
  findings: Finding[];
  /** Numbers a script may want (spam score, HTML bytes), in the --json report. */
  metrics?: Record<string, number>;
}

export type CheckId = 'structure' | 'size' | 'links' | 'spam' | 'client-support' | 'rendering' | 'dkim' | 'dns';

const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };

export function worstStatus(statuses: Iterable<CheckStatus>): CheckStatus {
  let worst: CheckStatus = 'pass';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

/**
 * Folds findings into one result: the status is the worst finding's, the reason names the worst
 * finding (and how many more there are), or `passReason` when nothing is wrong.
 */
export function resultFromFindings(id: CheckId, title: string, findings: Finding[], passReason: string): CheckResult {
  const status = worstStatus(findings.map((f) => f.status));
  if (status === 'pass') return { id, title, status, reason: passReason, findings };
  const problems = findings.filter((f) => f.status !== 'pass').sort((a, b) => RANK[b.status] - RANK[a.status]);
  const first = problems[0] as Finding;
  const more = problems.length - 1;
  return { id, title, status, reason: more > 0 ? `${first.message} (and ${more} more)` : first.message, findings: problems };
}

export function countByStatus(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}
