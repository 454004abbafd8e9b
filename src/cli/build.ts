import path from 'node:path';
import type { Command } from 'commander';
import { isFintechWeeklyError } from '../core/errors.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';
import { statSync } from 'node:fs';

interface BuildFlags {
  out?: string;
  json?: boolean;
}

interface IssueReport {
  slug: string | null;
  file: string;
  ok: boolean;
  fromCache?: boolean;
  outputs?: { html: string; text: string };
  bytes?: { html: number; text: number };
  warnings: { code: string; message: string }[];
  errors: string[];
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
      const { buildIssue } = await import('../build/build-issue.js');
      const { listIssueFiles } = await import('../build/issue-files.js');
      const project = settings();
      const targets = refs.length > 0 ? refs : listIssueFiles(project);
      if (targets.length === 0) {
        out.warn(`no issues to build in ${project.config.paths.issues}/ (create one with "fintechweekly new")`);
      }
      const reports: IssueReport[] = [];
      const archived: Awaited<ReturnType<typeof buildIssue>>[] = [];
      for (const ref of targets) {
        const shown = path.isAbsolute(ref) ? path.relative(process.cwd(), ref) : ref;
        try {
          const built = await buildIssue(project, ref, { outDir: flags.out });
          archived.push(built);
          reports.push({
            slug: built.slug,
            file: path.relative(process.cwd(), built.file),
            ok: true,
            fromCache: built.fromCache,
            outputs: { html: path.relative(process.cwd(), built.outputs.html), text: path.relative(process.cwd(), built.outputs.text) },
            bytes: { html: statSync(built.outputs.html).size, text: statSync(built.outputs.text).size },
            warnings: built.warnings,
            errors: [],
          });
        } catch (error) {
          if (!isFintechWeeklyError(error)) throw error;
          reports.push({ slug: null, file: shown, ok: false, warnings: [], errors: error.message.split('\n') });
          printFailure(out, error.message, error.hint);
        }
      }
      for (const report of reports.filter((r) => r.ok)) printSuccess(out, report);
      // The web version of each issue and the archive index (W's src/build/archive.ts).
      if (archived.length > 0) (await import('../build/archive.js')).writeArchive(project, archived, path.resolve(project.root, flags.out ?? project.config.paths.dist));
      out.result(reports);
      const failed = reports.filter((r) => !r.ok).length;
      if (targets.length > 1 || failed > 0) out.info(`${reports.length - failed} built, ${failed} failed`);
      if (failed > 0) process.exitCode = 1;
    });
}

function printFailure(out: Output, message: string, hint: string | undefined): void {
  for (const line of message.split('\n')) process.stderr.write(`${out.paint('red', 'error:')} ${line}\n`);
  if (hint && out.tty) process.stderr.write(`  ${out.paint('dim', `hint: ${hint}`)}\n`);
}

function printSuccess(out: Output, report: IssueReport): void {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const sizes = report.bytes ? ` (${kb(report.bytes.html)} html, ${kb(report.bytes.text)} text${report.fromCache ? ', unchanged' : ''})` : '';
  out.info(`${out.paint('green', 'built')} ${report.slug} -> ${report.outputs?.html}${sizes}`);
  for (const warning of report.warnings) out.warn(`${report.file}: ${warning.message}`);
}
