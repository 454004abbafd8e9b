import { statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { BuiltIssue } from '../pipeline/build-issue.js';
import { isFintechWeeklyError } from '../core/errors.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';

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
      const { listIssueFiles } = await import('../pipeline/issue-files.js');
      const project = settings();
      const targets = refs.length > 0 ? refs : listIssueFiles(project);
      const { mayNeedRender } = await import('../pipeline/staleness.js');
      if (mayNeedRender(project, targets, flags.out)) (await import('../pipeline/mjml-compiler.js')).warmUpMjml();
      const { buildIssue } = await import('../pipeline/build-issue.js');
      if (targets.length === 0) {
        out.warn(`no issues to build in ${project.config.paths.issues}/ (create one with "fintechweekly new")`);
      }
      const builtBySlot = new Array<BuiltIssue | undefined>(targets.length);
      const { duplicateSlugs } = await import('../pipeline/duplicate-slugs.js');
      const duplicates = duplicateSlugs(project, targets);
      // A few issues in flight at once: one renders its Markdown and template while MJML compiles another.
      const reports = await mapWithConcurrency(targets, 4, async (ref, slot): Promise<IssueReport> => {
        const shown = path.isAbsolute(ref) ? path.relative(process.cwd(), ref) : ref;
        const duplicate = duplicates.get(slot);
        if (duplicate) {
          printFailure(out, duplicate, 'Give one of them another slug: in its front matter, or rename the file.');
          return { slug: null, file: shown, ok: false, warnings: [], errors: [duplicate] };
        }
        try {
          const built = await buildIssue(project, ref, { outDir: flags.out });
          builtBySlot[slot] = built;
          return {
            slug: built.slug,
            file: path.relative(process.cwd(), built.file),
            ok: true,
            fromCache: built.fromCache,
            outputs: { html: path.relative(process.cwd(), built.outputs.html), text: path.relative(process.cwd(), built.outputs.text) },
            bytes: { html: statSync(built.outputs.html).size, text: statSync(built.outputs.text).size },
            warnings: built.warnings,
            errors: [],
          };
        } catch (error) {
          if (!isFintechWeeklyError(error)) throw error;
          printFailure(out, error.message, error.hint);
          return { slug: null, file: shown, ok: false, warnings: [], errors: error.message.split('\n') };
        }
      });
      for (const report of reports.filter((r) => r.ok)) printSuccess(out, report);
      const archived = builtBySlot.filter((b): b is BuiltIssue => b !== undefined);
      // The web version of each issue and the archive index (src/pipeline/archive.ts).
      if (archived.length > 0) (await import('../pipeline/archive.js')).writeArchive(project, archived, path.resolve(project.root, flags.out ?? project.config.paths.dist));
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

/** Runs `task` over `items` with at most `limit` at a time; results keep the items' order. */
async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
