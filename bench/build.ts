/**
 * Build benchmark: whole processes, measured in the same run and interleaved so that load on the
 * machine hits every variant alike.
 *   bare    a script that only imports mjml and compiles the Klarna issue's MJML (the floor)
 *   cold 1  `fintechweekly build` of the Klarna issue with a fresh dist/
 *   cold 50 `fintechweekly build` of 50 issues with a fresh dist/
 *   cached  `fintechweekly build` of the Klarna issue again (nothing changed: no MJML at all)
 * Goals: cold 1 at most 25% over bare; 50 issues in under 2x the time of 1.
 *
 *   node lib/bench/build.js [--rounds 7]   or `benchBuild()` from bench/run.ts
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bin, median, repo, round, timeProcess } from './processes.js';

const ISSUE = '2026-11-27-klarna-phk-ai-resesi';

export interface BuildBenchResult {
  rounds: number;
  /** Median wall-clock seconds per variant. */
  seconds: { bare: number; cold1: number; cold50: number; cached: number };
  ratios: { coldVsBare: number; fiftyVsOne: number; cachedVsCold: number };
}

function makeProject(issues: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bench-build-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  cpSync(path.join(repo, 'fintechweekly.config.yaml'), path.join(dir, 'fintechweekly.config.yaml'));
  mkdirSync(path.join(dir, 'issues'));
  const sample = readFileSync(path.join(repo, 'issues', `${ISSUE}.md`), 'utf8');
  if (issues === 1) writeFileSync(path.join(dir, 'issues', `${ISSUE}.md`), sample);
  for (let i = 1; issues > 1 && i <= issues; i++) {
    // Different text per issue, so that nothing could be shared between them but the machinery.
    writeFileSync(path.join(dir, 'issues', `2026-11-27-klarna-${String(i).padStart(2, '0')}.md`), sample.replace('title: "CEO Klarna', `title: "#${i} CEO Klarna`).replace('Melihat ke Depan', `Melihat ke Depan (${i})`));
  }
  return dir;
}

/** The exact MJML `build` compiles for the Klarna issue, and a script that only compiles it. */
async function makeBareScript(dir: string, project: string): Promise<string> {
  const { loadSettings } = await import('../src/config/load.js');
  const { readTemplate } = await import('../src/pipeline/template-files.js');
  const { parseIssue } = await import('../src/core/issue/front-matter.js');
  const { createIssueRenderer } = await import('../src/core/issue/render-issue.js');
  const settings = loadSettings({ cwd: project, env: {} });
  let mjml = '';
  const renderer = createIssueRenderer(readTemplate(settings).source, async (source) => {
    mjml = source;
    return { html: '' };
  });
  const file = `issues/${ISSUE}.md`;
  const parsed = parseIssue(readFileSync(path.join(project, file), 'utf8'), { file, defaultLang: settings.config.lang });
  await renderer.render({ parsed, slug: ISSUE, file, config: settings.config });
  writeFileSync(path.join(dir, 'klarna.mjml'), mjml);
  const mjmlEntry = pathToFileURL(createRequire(path.join(repo, 'package.json')).resolve('mjml')).href;
  const script = path.join(dir, 'bare-mjml.mjs');
  writeFileSync(
    script,
    [
      `import { readFileSync } from 'node:fs';`,
      `const { default: mjml2html } = await import(${JSON.stringify(mjmlEntry)});`,
      `const { html } = await mjml2html(readFileSync(${JSON.stringify(path.join(dir, 'klarna.mjml'))}, 'utf8'), { validationLevel: 'strict', keepComments: false, fonts: {} });`,
      `if (!html.includes('Lihat Asli')) throw new Error('bad compile');`,
    ].join('\n'),
  );
  return script;
}

export async function benchBuild(options: { rounds?: number; log?: (line: string) => void } = {}): Promise<BuildBenchResult> {
  const rounds = options.rounds ?? 7;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const scratch = mkdtempSync(path.join(tmpdir(), 'fw-bench-bare-'));
  const one = makeProject(1);
  const fifty = makeProject(50);
  try {
    const bare = await makeBareScript(scratch, one);
    const samples = { bare: [] as number[], cold1: [] as number[], cold50: [] as number[], cached: [] as number[] };
    log(`build benchmark: ${rounds} rounds, whole processes, medians (node ${process.version})`);
    timeProcess([bare], scratch); // warm the file system cache; not counted
    for (let i = 0; i < rounds; i++) {
      samples.bare.push(timeProcess([bare], scratch));
      rmSync(path.join(one, 'dist'), { recursive: true, force: true });
      samples.cold1.push(timeProcess([bin, 'build'], one));
      samples.cached.push(timeProcess([bin, 'build'], one));
      rmSync(path.join(fifty, 'dist'), { recursive: true, force: true });
      samples.cold50.push(timeProcess([bin, 'build'], fifty));
    }
    const seconds = { bare: round(median(samples.bare)), cold1: round(median(samples.cold1)), cold50: round(median(samples.cold50)), cached: round(median(samples.cached)) };
    const ratios = { coldVsBare: round(seconds.cold1 / seconds.bare, 2), fiftyVsOne: round(seconds.cold50 / seconds.cold1, 2), cachedVsCold: round(seconds.cached / seconds.cold1, 2) };
    log(`  bare mjml import + compile        ${seconds.bare.toFixed(3)} s`);
    log(`  build, Klarna issue, cold         ${seconds.cold1.toFixed(3)} s`);
    log(`  build, 50 issues, cold            ${seconds.cold50.toFixed(3)} s`);
    log(`  build, Klarna issue, unchanged    ${seconds.cached.toFixed(3)} s`);
    log(`  ratio cold build / bare mjml: ${ratios.coldVsBare}x (goal < 1.25x); 50 issues / 1 issue: ${ratios.fiftyVsOne}x (goal < 2x); unchanged / cold: ${ratios.cachedVsCold}x`);
    return { rounds, seconds, ratios };
  } finally {
    for (const dir of [scratch, one, fifty]) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const at = process.argv.indexOf('--rounds');
  await benchBuild(at > 0 ? { rounds: Number(process.argv[at + 1]) } : {});
}
