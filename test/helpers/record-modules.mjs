// Preload for a spawned CLI: `node --import <this file> bin/fintechweekly.js ...` with
// FW_MODULE_LOG=<file> appends the URL of every module the process loads to that file, so a
// test can assert that a command never loaded a heavy dependency (mjml).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const log = process.env.FW_MODULE_LOG;
register('./record-modules-hooks.mjs', import.meta.url, { data: { log } });
// The hooks see ES module imports only; CommonJS files loaded with require (better-sqlite3, which
// the store loads that way) are in require's cache when the process ends.
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const files = Object.keys(cache).filter((file) => file.startsWith('/'));
  if (log && files.length) appendFileSync(log, files.map((file) => `${pathToFileURL(file).href}\n`).join(''));
});
