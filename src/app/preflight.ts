import { runOfflineChecks } from '../check/run-checks.js';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError } from '../core/errors.js';

/**
 * For `send` and `dispatch`: runs the offline checks and refuses the issue when one fails; the error names every
 * failed check and why, so the editor sees it without running `check` again.
 */
export async function refuseFailingIssue(settings: Settings, ref: string, env: NodeJS.ProcessEnv, now: Date, onStep: (line: string) => void): Promise<void> {
  onStep('checking the issue before sending (fintechweekly check; --force skips it)...');
  const report = await runOfflineChecks(settings, ref, { env, now });
  const warned = report.results.filter((r) => r.status === 'warn').map((r) => r.title.toLowerCase());
  if (!report.failed) {
    onStep(`check passed${warned.length > 0 ? ` with warnings (${warned.join(', ')}; see \`fintechweekly check ${ref}\`)` : ''}`);
    return;
  }
  const failed = report.results.filter((r) => r.status === 'fail').map((r) => `  ${r.title}: ${r.reason}`);
  throw new FintechWeeklyError(`not sending ${report.slug}: the check failed; nothing was sent\n${failed.join('\n')}`, {
    hint: `Run \`fintechweekly check ${ref}\` for the details and fix the issue, or send anyway with --force.`,
  });
}
