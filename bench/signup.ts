/**
 * Sign-up benchmark: POST /subscribe against the whole `fintechweekly serve` process (the built
 * CLI), every request a new address from its own IP (serve.trustProxy with X-Forwarded-For, so
 * the per-IP limit does not turn them away), so each one is recorded (pending subscriber, consent
 * record, confirmation queued) with the store's synchronous=FULL. Three runs:
 *   fast SMTP  - a sink that answers at once, so the mailer works beside the form (smtp.rate 100);
 *   slow SMTP  - a sink that takes 1 s per message: the form must not slow down;
 *   one IP     - no X-Forwarded-For: after a few, every request is over the per-IP limit.
 * The SMTP sink runs in its own process; the load comes from this one, 32 requests in flight on
 * keep-alive connections.
 *
 *   node lib/bench/signup.js [--requests 3000] [--concurrency 32] [--profile DIR]
 * (--profile: each serve process writes a V8 CPU profile into DIR.)
 * or `benchSignup()` from bench/run.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, here.includes(`${path.sep}lib${path.sep}`) ? '../..' : '..');
const GOAL = 300;
/** smtp.rate for the runs (messages per second; the config's default is 50): the mailer sends at the relay's pace, beside the form. */
const SMTP_RATE = 100;

export interface SignupBenchRow {
  name: string;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Confirmation emails the sink had accepted when the last answer came. */
  sentDuringRun: number;
  /** Seconds after the run until every queued confirmation was accepted (undefined: not waited for). */
  drainSeconds: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// The sink: just enough SMTP, answering each message after `delayMs`.

function runSink(delayMs: number): void {
  let accepted = 0;
  const server = net.createServer((socket) => {
    let inData = false;
    let buffer = '';
    socket.on('error', () => {});
    socket.write('220 sink ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            if (buffer.length > 8) buffer = buffer.slice(-8);
            return;
          }
          buffer = buffer.slice(end + 5);
          inData = false;
          setTimeout(() => {
            accepted++;
            socket.write('250 2.0.0 queued\r\n');
          }, delayMs);
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('EHLO')) socket.write('250-sink\r\n250 8BITMIME\r\n');
        else if (line.startsWith('DATA')) {
          inData = true;
          buffer = `\r\n${buffer}`;
          socket.write('354 go ahead\r\n');
        } else if (line.startsWith('QUIT')) {
          socket.end('221 bye\r\n');
          return;
        } else socket.write('250 2.1.0 ok\r\n');
      }
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as net.AddressInfo).port })}\n`));
  process.stdin.on('data', () => process.stdout.write(`${JSON.stringify({ accepted })}\n`));
}

function lines(child: ChildProcess): { next(): Promise<string>; all(): string } {
  let text = '';
  let consumed = 0;
  child.stdout?.on('data', (c: Buffer) => (text += c.toString()));
  return {
    async next() {
      for (;;) {
        const eol = text.indexOf('\n', consumed);
        if (eol >= 0) {
          const line = text.slice(consumed, eol);
          consumed = eol + 1;
          return line;
        }
        if (child.exitCode !== null) throw new Error(`process exited: ${text}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    all: () => text,
  };
}

async function startSink(delayMs: number) {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'sink', String(delayMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out = lines(child);
  const { port } = JSON.parse(await out.next()) as { port: number };
  return {
    port,
    async accepted(): Promise<number> {
      child.stdin?.write('?\n');
      return (JSON.parse(await out.next()) as { accepted: number }).accepted;
    },
    stop: () => child.kill(),
  };
}

// ---------------------------------------------------------------------------------------------
// The serve process and the load.

function makeProject(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bench-signup-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  writeFileSync(
    path.join(dir, 'fintechweekly.config.yaml'),
    `sender:\n  fromName: FinTech Weekly\n  fromEmail: newsletter@fintechweekly.example\npublicUrl: https://news.fintechweekly.example\nsmtp:\n  connections: 2\n  rate: ${SMTP_RATE}\nserve:\n  trustProxy: true\n`,
  );
  return dir;
}

async function startServe(dir: string, smtpPort: number, profileDir: string | undefined) {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  const child = spawn(process.execPath, [...profile, path.join(repo, 'bin/fintechweekly.js'), 'serve', '--port', '0'], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', FINTECHWEEKLY_UNSUBSCRIBE_SECRET: 'bench-secret-0123456789', FINTECHWEEKLY_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, FINTECHWEEKLY_DB: path.join(dir, 'fintechweekly.db') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const out = lines(child);
  for (;;) {
    const match = /serving on http:\/\/127\.0\.0\.1:(\d+)\//.exec(await out.next().catch((e: Error) => Promise.reject(new Error(`${e.message}\n${stderr}`))));
    if (match) return { port: Number(match[1]), child, stderr: () => stderr };
  }
}

async function load(port: number, requests: number, concurrency: number, body: (i: number) => string, headers: (i: number) => Record<string, string>): Promise<{ seconds: number; latencies: number[]; neutral: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const bodies = new Set<string>();
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const payload = body(i);
      const started = performance.now();
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/subscribe', agent, headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(Buffer.byteLength(payload)), ...headers(i) } },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            latencies.push(performance.now() - started);
            if (res.statusCode !== 200) reject(new Error(`POST /subscribe answered ${res.statusCode}: ${text.slice(0, 200)}`));
            bodies.add(text);
            resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests; i = next++) await one(i);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { seconds, latencies: latencies.sort((a, b) => a - b), neutral: bodies.size };
}

const percentile = (sorted: number[], p: number) => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0) * 10) / 10;
const ipOf = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

async function measure(name: string, options: { sinkDelayMs: number; requests: number; concurrency: number; oneIp: boolean; drain: boolean; profileDir?: string | undefined }): Promise<SignupBenchRow> {
  const sink = await startSink(options.sinkDelayMs);
  const dir = makeProject();
  const serve = await startServe(dir, sink.port, options.profileDir);
  try {
    // Warm-up: connections, JIT, the first commit; from IPs and addresses the run does not use.
    await load(serve.port, 200, options.concurrency, (i) => `email=warmup${i}%40example.com`, (i) => ({ 'X-Forwarded-For': `172.16.${i >> 8}.${i & 255}` }));
    const warm = await sink.accepted();
    const run = await load(
      serve.port,
      options.requests,
      options.concurrency,
      (i) => `email=reader${i}%40example.com&name=Reader+${i}&website=`,
      (i): Record<string, string> => (options.oneIp ? {} : { 'X-Forwarded-For': ipOf(i) }),
    );
    if (run.neutral !== 1) throw new Error(`POST /subscribe gave ${run.neutral} different answers; it must always give the same page`);
    const sentDuringRun = (await sink.accepted()) - warm;
    let drainSeconds: number | undefined;
    if (options.drain) {
      const started = performance.now();
      const expected = options.requests + 200;
      while ((await sink.accepted()) < expected) await new Promise((r) => setTimeout(r, 50));
      drainSeconds = Math.round((performance.now() - started) / 10) / 100;
    }
    return {
      name,
      requests: options.requests,
      seconds: Math.round(run.seconds * 100) / 100,
      requestsPerSecond: Math.round(options.requests / run.seconds),
      p50Ms: percentile(run.latencies, 0.5),
      p99Ms: percentile(run.latencies, 0.99),
      sentDuringRun,
      drainSeconds,
    };
  } finally {
    serve.child.kill('SIGTERM');
    await new Promise((resolve) => serve.child.once('close', resolve));
    sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSignup(options: { requests?: number; concurrency?: number; profileDir?: string | undefined; log?: (line: string) => void } = {}): Promise<SignupBenchRow[]> {
  const requests = options.requests ?? 3000;
  const concurrency = options.concurrency ?? 32;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  log(`\nsign-up benchmark: POST /subscribe to the serve process, ${requests} requests, ${concurrency} in flight, keep-alive, smtp.rate ${SMTP_RATE} (goal >= ${GOAL}/s)`);
  const rows: SignupBenchRow[] = [];
  for (const [name, settings] of [
    ['new address each, fast SMTP', { sinkDelayMs: 0, oneIp: false, drain: true }],
    ['new address each, SMTP 1 s/message', { sinkDelayMs: 1000, oneIp: false, drain: false }],
    ['all from one IP (over the limit)', { sinkDelayMs: 0, oneIp: true, drain: false }],
  ] as const) {
    const row = await measure(name, { ...settings, requests, concurrency, profileDir: options.profileDir });
    rows.push(row);
    log(
      `  ${row.name.padEnd(36)} ${String(row.requestsPerSecond).padStart(5)} req/s  p50 ${row.p50Ms} ms  p99 ${row.p99Ms} ms  ` +
        `confirmations sent during the run: ${row.sentDuringRun}${row.drainSeconds === undefined ? '' : `, all ${requests} sent ${row.drainSeconds} s after it`}`,
    );
  }
  const slowest = Math.min(...rows.map((r) => r.requestsPerSecond));
  log(`  slowest: ${slowest} req/s (goal >= ${GOAL}/s: ${slowest >= GOAL ? 'met' : 'NOT met'})`);
  return rows;
}

async function main(argv: string[]): Promise<void> {
  const [mode, arg] = argv;
  if (mode === 'sink') return runSink(Number(arg ?? 0));
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  const profile = argv.indexOf('--profile');
  await benchSignup({ requests: flag('--requests'), concurrency: flag('--concurrency'), profileDir: profile >= 0 ? argv[profile + 1] : undefined });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
