import type { CheckResult } from './result.js';

/** doiuse-email's messages for one HTML document. */
export interface ClientSupportReport {
  errors: readonly string[];
  warnings: readonly string[];
}

const MESSAGE = /^`(.+)` is (not supported|only partially supported) by `(.+)`$/;

interface Gap {
  feature: string;
  none: string[];
  partial: string[];
}

function gaps(messages: Iterable<string>): Gap[] {
  const byFeature = new Map<string, Gap>();
  for (const message of messages) {
    const match = MESSAGE.exec(message);
    if (!match) continue;
    const [, feature, support, client] = match as unknown as [string, string, string, string];
    const gap = byFeature.get(feature) ?? { feature, none: [], partial: [] };
    const list = support === 'not supported' ? gap.none : gap.partial;
    if (!list.includes(client)) list.push(client);
    byFeature.set(feature, gap);
  }
  return [...byFeature.values()];
}

function describeGap(gap: Gap): string {
  const parts = [gap.none.length > 0 ? `not supported by ${gap.none.join(', ')}` : '', gap.partial.length > 0 ? `only partly by ${gap.partial.join(', ')}` : ''];
  return `${gap.feature}: ${parts.filter(Boolean).join('; ')}`;
}

/**
 * What our template and content add over MJML's own boilerplate: MJML's output already uses
 * features some clients lack (and MJML ships fallbacks for them), so only new ones are worth an
 * editor's attention. Gaps are warnings, never failures: clients degrade, they do not drop mail.
 */
export function compareClientSupport(report: ClientSupportReport, baseline: ClientSupportReport, clients: string): CheckResult {
  const known = new Set([...baseline.errors, ...baseline.warnings]);
  const added = gaps([...new Set([...report.errors, ...report.warnings])].filter((m) => !known.has(m)));
  const title = 'Client support';
  if (added.length === 0) {
    return { id: 'client-support', title, status: 'pass', reason: `nothing beyond what MJML's own boilerplate uses in ${clients}`, findings: [] };
  }
  const findings = added.map((g) => ({ status: 'warn' as const, message: describeGap(g) }));
  const names = added.map((g) => g.feature);
  return {
    id: 'client-support',
    title,
    status: 'warn',
    reason: `${added.length} feature${added.length === 1 ? '' : 's'} beyond MJML's boilerplate with gaps in ${clients}: ${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}`,
    findings,
  };
}
