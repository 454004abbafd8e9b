import path from 'node:path';
import type { Command } from 'commander';
import type { CheckIssueReport } from '../app/check-issue.js';
import type { CheckStatus } from '../check/rules/result.js';
import { EXIT } from '../core/errors.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

interface CheckFlags {
  json?: boolean;
  screenshots?: string;
  dns?: boolean;
}

const LABEL: Record<CheckStatus, { text: string; style: 'green' | 'yellow' | 'red' }> = {
  pass: { text: 'PASS', style: 'green' },
  warn: { text: 'WARN', style: 'yellow' },
  fail: { text: 'FAIL', style: 'red' },
};

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Preflight an issue: structure, size, links, spam score, client support, rendering at 600 and 375 px, DKIM')
    .argument('<issue>', 'issue file or slug')
    .option('--json', 'print the report as JSON on stdout')
    .option('--screenshots <dir>', 'save the 600 px and 375 px renderings as PNG files in this folder')
    .option('--dns', 'also look up the From domain\'s SPF, DKIM and DMARC records (uses the network)')
    .addHelpText('after', '\nExit code 0 when no check fails (warnings allowed), 1 otherwise. See docs/checking.md for what each check means.')
    .action(async (ref: string, flags: CheckFlags) => {
      const out = createOutput({ json: flags.json });
      const { checkIssue } = await import('../app/check-issue.js');
      const report = await checkIssue(
        settings(),
        { ref, screenshotsDir: flags.screenshots ? path.resolve(flags.screenshots) : undefined, dns: flags.dns ?? false },
        { env: process.env, now: () => new Date(), onStep: (message) => out.info(`${message}...`) },
      );
      for (const note of report.notes) out.warn(note);
      out.result(report);
      printReport(out, report);
      if (!report.ok) process.exitCode = EXIT.error;
    });
}

function printReport(out: Output, report: CheckIssueReport): void {
  const width = Math.max(...report.results.map((r) => r.title.length));
  const lines = [`${out.paint('bold', report.slug)}: "${report.subject}"`];
  for (const result of report.results) {
    const label = LABEL[result.status];
    lines.push(`${out.paint(label.style, label.text)}  ${result.title.padEnd(width)}  ${result.reason}`);
    if (result.status !== 'pass' && result.findings.length > 1) {
      for (const finding of result.findings) lines.push(`      ${out.paint('dim', '-')} ${finding.message}`);
    }
  }
  for (const file of report.screenshots) lines.push(`screenshot: ${path.relative(process.cwd(), file) || file}`);
  const { pass, warn, fail } = report.counts;
  const summary = `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed`;
  lines.push(fail > 0 ? `${out.paint('red', summary)}: fix what failed before sending (or send with --force)` : out.paint(warn > 0 ? 'yellow' : 'green', summary));
  out.print(lines.join('\n'));
}
