import type { Command } from 'commander';
import type { BuildFailure, IssueBuildReport } from '../app/build-issues.js';
import { EXIT } from '../core/errors.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

interface BuildFlags {
  out?: string;
  json?: boolean;
}

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('Build issues (default: every issues/*.md) into dist/<slug>/email.html and email.txt')
    .argument('[issue...]', 'issue files or slugs')
    .option('--out <dir>', 'output folder instead of the config\'s paths.dist')
    .option('--json', 'print one JSON report per issue on stdout')
    .action(async (refs: string[], flags: BuildFlags) => {
      const out = createOutput({ json: flags.json });
      const project = settings();
      const { buildIssues } = await import('../app/build-issues.js');
      // Failures are printed as they happen; what was built, once everything is done.
      const report = await buildIssues(project, { refs, outDir: flags.out, cwd: process.cwd() }, { onFailure: (failure) => printFailure(out, failure) });
      if (report.issues.length === 0) out.warn(`no issues to build in ${project.config.paths.issues}/ (create one with "fintechweekly new")`);
      for (const issue of report.issues.filter((r) => r.ok)) printSuccess(out, issue);
      out.result(report.issues);
      if (report.issues.length > 1 || report.failed > 0) out.info(`${report.built} built, ${report.failed} failed`);
      if (report.failed > 0) process.exitCode = EXIT.error;
    });
}

function printFailure(out: Output, { message, hint }: BuildFailure): void {
  for (const line of message.split('\n')) process.stderr.write(`${out.paint('red', 'error:')} ${line}\n`);
  if (hint && out.tty) process.stderr.write(`  ${out.paint('dim', `hint: ${hint}`)}\n`);
}

function printSuccess(out: Output, report: IssueBuildReport): void {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const sizes = report.bytes ? ` (${kb(report.bytes.html)} html, ${kb(report.bytes.text)} text${report.fromCache ? ', unchanged' : ''})` : '';
  out.info(`${out.paint('green', 'built')} ${report.slug} -> ${report.outputs?.html}${sizes}`);
  for (const warning of report.warnings) out.warn(`${report.file}: ${warning.message}`);
}
