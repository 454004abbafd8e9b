/**
 * Import benchmark: the whole `fintechweekly subscribers import` process on generated CSV files in
 * Mailchimp's column layout (100,000 and 1,000,000 rows, distinct addresses in no particular order)
 * into a fresh store, then the 1,000,000 again (a re-import that changes nothing). Next to it, two
 * baselines measured in the same run on the same 1,000,000-row file:
 *   (a) parse: a script that only streams the file through csv-parse (the floor of reading it);
 *   (b) naive: the same stream inserting every row into the subscribers table with one prepared
 *       statement in one transaction, no checks at all (the obvious streaming import).
 * Peak RSS and CPU time are each process's own (process.resourceUsage() at exit, via a preload).
 * Goals (issue 12): 1,000,000 rows at >= 100,000 rows/s; peak RSS 1,000,000 / 100,000 <= 1.25x.
 *
 *   node lib/bench/import.js [--rows 1000000]   or `benchImport()` from bench/run.ts
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, from lib/bench/ (compiled) or bench/ (source). */
const repo = path.resolve(here, here.includes(`${path.sep}lib${path.sep}`) ? '../..' : '..');
const bin = path.join(repo, 'bin/fintechweekly.js');

export interface ImportBenchRow {
  name: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  cpuSeconds: number;
  peakRssMb: number;
}

export interface ImportBenchResult {
  rows: ImportBenchRow[];
  ratios: { rss1mVs100k: number; importVsParse: number; importVsNaive: number };
}

const HEADER = '"Email Address","First Name","Last Name",OPTIN_TIME,MEMBER_RATING,TAGS\n';

/** A Mailchimp-shaped export of `rows` distinct readers; addresses spread over the alphabet as real ones are. */
function writeCsv(file: string, rows: number): void {
  const fd = openSync(file, 'w');
  let chunk = HEADER;
  for (let i = 1; i <= rows; i++) {
    const spread = (Math.imul(i, 2654435761) >>> 0).toString(36);
    chunk += `reader.${spread}${i}@example.com,Reader,Nomor ${i},"2024-03-01 08:12:44",${i % 5},"fintech, payments"\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}

/** Runs `node <args>` with a preload that writes the process's own peak RSS and CPU time when it exits. */
async function measure(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; seconds: number; cpuSeconds: number; peakRssMb: number }> {
  const preload = path.join(dir, 'usage-preload.mjs');
  const usage = path.join(dir, `usage-${Date.now()}.json`);
  writeFileSync(preload, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => { const u = process.resourceUsage(); writeFileSync(process.env.FW_BENCH_USAGE, JSON.stringify({ maxRSS: u.maxRSS, cpu: u.userCPUTime + u.systemCPUTime })); });\n`);
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', pathToFileURL(preload).href, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', FW_BENCH_USAGE: usage, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${args.join(' ')} exited ${code}:\n${stderr}`);
  const { maxRSS, cpu } = JSON.parse(readFileSync(usage, 'utf8')) as { maxRSS: number; cpu: number };
  return { stdout, seconds, cpuSeconds: cpu / 1e6, peakRssMb: Math.round(maxRSS / 102.4) / 10 };
}

function row(name: string, rows: number, run: { seconds: number; cpuSeconds: number; peakRssMb: number }): ImportBenchRow {
  return { name, rows, seconds: run.seconds, rowsPerSecond: Math.round(rows / run.seconds), cpuSeconds: run.cpuSeconds, peakRssMb: run.peakRssMb };
}

async function importRow(dir: string, name: string, file: string, rows: number, store: string, expect: { added: number; unchanged: number }): Promise<ImportBenchRow> {
  const run = await measure(dir, [bin, 'subscribers', 'import', file, '--json'], { FINTECHWEEKLY_DB: store });
  const report = JSON.parse(run.stdout) as { rows: number; added: number; unchanged: number; rejected: unknown[] };
  if (report.rows !== rows || report.added !== expect.added || report.unchanged !== expect.unchanged || report.rejected.length) {
    throw new Error(`${name}: unexpected report ${JSON.stringify({ ...report, rejected: report.rejected.length })}`);
  }
  return row(name, rows, run);
}

export async function benchImport(options: { rows?: number; log?: (line: string) => void } = {}): Promise<ImportBenchResult> {
  const big = options.rows ?? 1_000_000;
  const small = Math.round(big / 10);
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bench-import-'));
  try {
    const smallFile = path.join(dir, `members-${small}.csv`);
    const bigFile = path.join(dir, `members-${big}.csv`);
    writeCsv(smallFile, small);
    writeCsv(bigFile, big);
    log(`import benchmark: Mailchimp-shaped CSV (6 columns), ${small} and ${big} rows, fresh store; baselines on the ${big}-row file`);
    const script = fileURLToPath(import.meta.url);
    const rows: ImportBenchRow[] = [];
    const show = (r: ImportBenchRow) => {
      rows.push(r);
      log(`  ${r.name.padEnd(44)} ${String(r.rowsPerSecond).padStart(7)} rows/s  ${r.seconds.toFixed(2).padStart(6)} s  CPU ${r.cpuSeconds.toFixed(2).padStart(6)} s  peak RSS ${r.peakRssMb} MB`);
    };
    show(row('(a) parse only: csv-parse stream', big, await measure(dir, [script, 'parse', bigFile])));
    show(row('(b) naive: csv-parse + INSERT per row', big, await measure(dir, [script, 'naive', bigFile], { FINTECHWEEKLY_DB: path.join(dir, 'naive.db') })));
    show(await importRow(dir, `fintechweekly subscribers import (${small})`, smallFile, small, path.join(dir, 'small.db'), { added: small, unchanged: 0 }));
    show(await importRow(dir, `fintechweekly subscribers import (${big})`, bigFile, big, path.join(dir, 'big.db'), { added: big, unchanged: 0 }));
    show(await importRow(dir, `the same ${big} again (nothing changes)`, bigFile, big, path.join(dir, 'big.db'), { added: 0, unchanged: big }));
    const [parse, naive, importSmall, importBig] = rows as [ImportBenchRow, ImportBenchRow, ImportBenchRow, ImportBenchRow];
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const ratios = { rss1mVs100k: ratio(importBig.peakRssMb, importSmall.peakRssMb), importVsParse: ratio(importBig.rowsPerSecond, parse.rowsPerSecond), importVsNaive: ratio(importBig.rowsPerSecond, naive.rowsPerSecond) };
    log(`  ${big} rows: ${importBig.rowsPerSecond} rows/s (goal >= 100000); peak RSS ${big} vs ${small}: ${ratios.rss1mVs100k}x (goal <= 1.25x)`);
    log(`  import / parse only: ${ratios.importVsParse}x the rows per second; import / naive: ${ratios.importVsNaive}x`);
    return { rows, ratios };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The baselines, each run in its own process.

async function baseline(kind: 'parse' | 'naive', file: string): Promise<void> {
  const { parse } = await import('csv-parse');
  const records = createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(parse({ bom: true, relax_column_count: true, relax_quotes: true }));
  if (kind === 'parse') {
    let count = 0;
    for await (const _record of records) count++;
    process.stdout.write(`${count}\n`);
    return;
  }
  const { openDb } = await import('../src/store/db.js');
  const db = openDb(process.env.FINTECHWEEKLY_DB as string);
  const at = new Date().toISOString();
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, ?, 'active', 'import:naive', ?, ?)`);
  db.exec('BEGIN IMMEDIATE');
  let header = true;
  for await (const record of records as AsyncIterable<string[]>) {
    if (header) header = false;
    else insert.run(record[0], `${record[1]} ${record[2]}`, at, at);
  }
  db.exec('COMMIT');
  db.close();
}

async function main(argv: string[]): Promise<void> {
  const [mode, file] = argv;
  if ((mode === 'parse' || mode === 'naive') && file) return baseline(mode, file);
  const i = argv.indexOf('--rows');
  await benchImport({ rows: i >= 0 ? Number(argv[i + 1]) : undefined });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
