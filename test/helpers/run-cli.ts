import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Spawns the built CLI (bin/fintechweekly.js, which runs the bundle in lib/bundle) as an editor would, with the store in the project folder. */
export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = path.join(repo, 'bin/fintechweekly.js');
const bundle = path.join(repo, 'lib/bundle');
const recorder = path.join(repo, 'test/helpers/record-modules.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /**
   * URLs of the modules the process imported (only with `recordModules`). A file of the bundle
   * stands for every source module it holds: those are listed too, by the file URL of their source
   * (src/.../*.ts, node_modules/...).
   */
  modules: string[];
}

/** End-to-end tests run the bundle that ships: `npm test` builds it first. */
export function assertBuilt(): void {
  if (!existsSync(path.join(bundle, 'main.js'))) throw new Error('build first: npm run build');
}

let bundleContents: Map<string, string[]> | undefined;

/**
 * For each file of the bundle (by URL), the URLs of the source modules in it, from esbuild's
 * metafile. Loading a file runs its ES modules and compiles its CommonJS ones (which run when first
 * required): a module counts as loaded once its file is, never less.
 */
function contentsOfBundleFiles(): Map<string, string[]> {
  if (!bundleContents) {
    const meta = JSON.parse(readFileSync(path.join(bundle, 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
    bundleContents = new Map(
      Object.entries(meta.outputs).map(([output, { inputs }]) => [pathToFileURL(path.resolve(repo, output)).href, Object.keys(inputs).map((input) => pathToFileURL(path.resolve(repo, input)).href)]),
    );
  }
  return bundleContents;
}

function withBundledSources(urls: string[]): string[] {
  return [...new Set(urls.flatMap((url) => [url, ...(contentsOfBundleFiles().get(url) ?? [])]))];
}

export function projectDir(prefix: string): string {
  assertBuilt();
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface RunOptions {
  /** Added to the minimal environment (PATH, HOME, NO_COLOR, the store in the project folder). */
  env?: NodeJS.ProcessEnv;
  recordModules?: boolean;
  input?: string;
}

export function runCli(cwd: string, args: string[], options: RunOptions = {}): CliResult {
  return runNode(cwd, [bin, ...args], options);
}

/** Runs a small ES module (its source text) under the module recorder: a control for the recorder itself. */
export function runScript(cwd: string, source: string): CliResult {
  const script = path.join(cwd, `script-${Date.now()}.mjs`);
  writeFileSync(script, source);
  return runNode(cwd, [script], { recordModules: true });
}

function runNode(cwd: string, args: string[], options: RunOptions): CliResult {
  const log = path.join(cwd, `modules-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  const result = spawnSync(process.execPath, [...(options.recordModules ? ['--import', recorder] : []), ...args], {
    cwd,
    encoding: 'utf8',
    input: options.input,
    env: { PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1', FINTECHWEEKLY_DB: path.join(cwd, 'store', 'fintechweekly.db'), FW_MODULE_LOG: log, ...options.env },
  });
  const modules = options.recordModules && existsSync(log) ? withBundledSources(readFileSync(log, 'utf8').split('\n').filter(Boolean)) : [];
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, modules };
}
