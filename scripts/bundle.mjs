/**
 * Bundles the CLI for `npm run build` (so at `npm ci`, through `prepare`): bin/fintechweekly.js
 * imports lib/bundle/main.js. Node then reads a few dozen files where it read about 700 (commander,
 * zod, yaml, the renderer's libraries, MJML's), which is most of a command's start-up; the figures
 * are in BENCHMARKS.md, "Start-up".
 *
 * - Code splitting: each `await import()` in the commands stays a file of its own, loaded only when
 *   that code runs, so `--help` loads commander and the command definitions, `subscribers list`
 *   adds the store, and only `build` loads the renderer and MJML.
 * - Entry points: the CLI, and each worker thread's file (the MJML compiler's, the CSV import's),
 *   found where it is started (below): every output is in one folder.
 * - lib/bundle/meta.json (esbuild's metafile) says which source modules each file holds; the
 *   tests' module recorder (test/helpers/run-cli.ts) uses it to tell which modules a command loaded.
 * - Source maps without the sources' text: src/cli/source-mapped-stacks.ts turns stack frames
 *   back into TypeScript lines when a stack is printed.
 *
 * Left out of the bundle, loaded from node_modules as before:
 * - better-sqlite3: a native addon, found through its own package folder;
 * - playwright-core: requires optional packages it does not ship (chromium-bidi) and reads its
 *   own files (browsers.json, injected scripts) at run time;
 * - typescript: cosmiconfig (under MJML's htmlnano) requires it only to read a TypeScript config
 *   file, which fintechweekly never asks for;
 * - imapflow: its logger, pino, starts transport threads from files of its own package (found
 *   through __dirname, which a bundle does not have). fintechweekly turns that logger off, but an
 *   IMAP scan waits on the network anyway: nothing to gain from bundling it.
 * MJML is bundled into the worker's files: its 680 CommonJS files cost more to find and compile one
 * by one than MJML takes to compile an issue. What it reads at run time is the project's own files
 * (`mj-include`, a `.mjmlconfig` in the current folder), not its package's.
 */
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'lib/bundle');

/**
 * `import { z } from 'zod'` hands the bundler zod's whole namespace as one value, so every locale
 * and the JSON Schema converters come along (734 KB); `import * as z` lets it keep what is used
 * (176 KB). Same module, same objects: only the import's form changes, in the bundle.
 */
const zodNamespaceImport = {
  name: 'zod-namespace-import',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replace(/^import \{ z \} from 'zod';$/m, "import * as z from 'zod';"),
      loader: 'ts',
    }));
  },
};

// Chunk names carry a content hash: files of an earlier build would pile up.
await rm(outdir, { recursive: true, force: true });
/**
 * yaml's CommonJS build (what Node gets) cannot be tree-shaken and carries the stringifier and
 * every schema; its ES module build (the package's "default" export, the same code) can. On
 * `subscribers list`, which reads the config and nothing else, that was 0.2x of `node -e 0`.
 */
const yamlModuleBuild = {
  name: 'yaml-module-build',
  setup(bundler) {
    const entry = path.join(path.dirname(createRequire(import.meta.url).resolve('yaml/package.json')), 'browser/dist/index.js');
    bundler.onResolve({ filter: /^yaml$/ }, () => ({ path: entry }));
  },
};

/**
 * js-yaml (which gray-matter loads, though fintechweekly hands gray-matter its own YAML parser)
 * looks for esprima, a 280 KB JavaScript parser, for its unsafe `!!js/function` tag, through a
 * require the bundler cannot see: Node then compiled esprima from node_modules on every command
 * that reads an issue. Here js-yaml finds none, as in a browser, and that tag is unsupported.
 */
const noEsprimaForJsYaml = {
  name: 'no-esprima-for-js-yaml',
  setup(bundler) {
    bundler.onLoad({ filter: /[\\/]js-yaml[\\/]lib[\\/]js-yaml[\\/]type[\\/]js[\\/]function\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replace("esprima = _require('esprima');", "throw new Error('esprima is not bundled');");
      if (patched === source) throw new Error(`${args.path} no longer requires esprima the way scripts/bundle.mjs expects`);
      return { contents: patched, loader: 'js' };
    });
  },
};

/**
 * Worker threads are started as `new Worker(new URL('./name.js', import.meta.url))`: each such
 * file becomes an entry point of its own name, beside the chunk that starts it (all outputs share
 * one folder). A module that starts itself (`new URL(import.meta.url)`) needs nothing: its worker
 * loads the file its code is in.
 */
async function workerEntryPoints() {
  const entries = {};
  for (const file of await readdir(path.join(root, 'src'), { recursive: true })) {
    if (!file.endsWith('.ts')) continue;
    const source = await readFile(path.join(root, 'src', file), 'utf8');
    for (const [, name] of source.matchAll(/new Worker\(new URL\('\.\/([\w-]+)\.js', import\.meta\.url\)/g)) {
      const entry = path.posix.join('src', path.dirname(file).split(path.sep).join('/'), `${name}.ts`);
      if (entries[name] && entries[name] !== entry) throw new Error(`two workers named ${name}: ${entries[name]} and ${entry}`);
      entries[name] = entry;
    }
  }
  return entries;
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts', ...(await workerEntryPoints()) },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  external: ['better-sqlite3', 'playwright-core', 'typescript', 'imapflow'],
  plugins: [zodNamespaceImport, yamlModuleBuild, noEsprimaForJsYaml],
  // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));
