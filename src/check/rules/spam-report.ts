import type { CheckResult } from './result.js';

export interface SpamRule {
  name: string;
  points: number;
  description: string;
}

export interface SpamReport {
  score: number;
  rules: SpamRule[];
}

const SUMMARY = /Content analysis details:\s+\((-?\d+(?:\.\d+)?) points?, (-?\d+(?:\.\d+)?) required\)/;
const RULE_ROW = /^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$/;

/**
 * Reads the report `spamassassin -t` appends to the message: the score line and the table of
 * fired rules below it (descriptions may wrap onto indented lines). Only the first report counts:
 * when SpamAssassin wraps a spammy message it repeats the report inside.
 */
export function parseSpamAssassinReport(output: string): SpamReport | undefined {
  const lines = output.split(/\r?\n/);
  const start = lines.findIndex((l) => SUMMARY.test(l));
  if (start < 0) return undefined;
  const score = Number(SUMMARY.exec(lines[start] as string)?.[1]);
  const rules: SpamRule[] = [];
  const tableStart = lines.findIndex((l, i) => i > start && /^-{3,}\s+-{3,}/.test(l));
  if (tableStart >= 0) {
    for (const line of lines.slice(tableStart + 1)) {
      if (line.trim() === '') break;
      const row = RULE_ROW.exec(line);
      const last = rules[rules.length - 1];
      if (row) rules.push({ points: Number(row[1]), name: row[2] as string, description: (row[3] as string).trim() });
      else if (last) last.description = `${last.description} ${line.trim()}`;
    }
  }
  return { score, rules };
}

const format = (n: number) => (Object.is(n, -0) ? '0.0' : n.toFixed(1));

export function judgeSpamReport(report: SpamReport, threshold: number): CheckResult {
  const contributing = report.rules.filter((r) => r.points > 0).sort((a, b) => b.points - a.points);
  const fired = contributing.map((r) => `${r.name} ${format(r.points)}`).join(', ') || 'no rule adds points';
  const status = report.score > threshold ? 'fail' : 'pass';
  const reason =
    status === 'fail'
      ? `score ${format(report.score)} is above the threshold ${format(threshold)}: ${fired}`
      : `score ${format(report.score)} (threshold ${format(threshold)}): ${fired}`;
  return {
    id: 'spam',
    title: 'Spam score',
    status,
    reason,
    metrics: { score: report.score, threshold },
    // Informational rules (0 points) only say how the message was handed over; they are noise here.
    findings: report.rules
      .filter((r) => r.points !== 0)
      .sort((a, b) => b.points - a.points)
      .map((r) => ({ status: status === 'fail' && r.points > 0 ? 'fail' : 'pass', message: `${format(r.points)} ${r.name}: ${r.description}` })),
  };
}
