/**
 * Send benchmark: the whole `fintechweekly send` process delivering an issue (the Klarna email) to
 * N subscribers over loopback SMTP, next to two baselines measured in the same run:
 *   (a) stock: a nodemailer pool loop (same connection count, sendMail with html + text per recipient,
 *       no bookkeeping at all);
 *   (b) raw: a bare socket client writing one pre-built message over and over (this machine's limit).
 * The SMTP sink is a minimal server in its own process, so it competes with no client for an event loop.
 * Peak RSS is each client process's VmHWM.
 *
 *   node lib/bench/send.js [--subscribers 20000] [--connections 5]
 * or `benchSend()` from bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bin, repo, watchProcess } from './processes.js';

export const ISSUE = '2026-11-27-klarna-phk-ai-resesi';
const FROM = 'newsletter@fintechweekly.example';

export interface SendBenchRow {
  name: string;
  subscribers: number;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  peakRssMb: number;
}

export interface SendBenchResult {
  rows: SendBenchRow[];
  ratios: { vsStock: number; vsRaw: number; rss20kVs2k: number };
  messageBytes: number;
}

// ---------------------------------------------------------------------------------------------
// The sink: just enough SMTP (EHLO, MAIL, RCPT, DATA, RSET, QUIT), pipelining-safe, counting messages.

function runSink(): void {
  let accepted = 0;
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    let inData = false;
    let buffer = '';
    socket.write('220 sink ESMTP\r\n');
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let out = '';
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) {
            // keep only what could be the start of the terminator
            if (buffer.length > 8) buffer = buffer.slice(-8);
            break;
          }
          buffer = buffer.slice(end + 5);
          inData = false;
          accepted++;
          out += '250 2.0.0 queued\r\n';
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) break;
        const line = buffer.slice(0, eol).toUpperCase();
        buffer = buffer.slice(eol + 2);
        if (line.startsWith('EHLO')) out += '250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n';
        else if (line.startsWith('DATA')) {
          inData = true;
          // the terminator may follow right away when the body is tiny: rescan from the start
          buffer = `\r\n${buffer}`;
          out += '354 go ahead\r\n';
        } else if (line.startsWith('QUIT')) {
          out += '221 bye\r\n';
          socket.end(out);
          return;
        } else out += '250 2.1.0 ok\r\n';
      }
      if (out) socket.write(out);
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.stdin.on('data', () => process.stdout.write(`${JSON.stringify({ accepted })}\n`));
}

// ---------------------------------------------------------------------------------------------
// Baselines, each run in its own process.

async function baselineStock(port: number, subscribers: number, connections: number, html: string, text: string, subject: string): Promise<number> {
  const { default: nodemailer } = await import('nodemailer');
  const transport = nodemailer.createTransport({ pool: true, host: '127.0.0.1', port, secure: false, ignoreTLS: true, maxConnections: connections, maxMessages: Infinity });
  const started = performance.now();
  let next = 1;
  const worker = async () => {
    while (next <= subscribers) {
      const i = next++;
      const to = `reader${i}@example.com`;
      const token = `${i}.${'x'.repeat(32)}`;
      await transport.sendMail({ from: `FinTech Weekly <${FROM}>`, to, subject, html: html.replaceAll('FWX0UNSUBSCRIBE0TOKEN0XWF', token), text: text.replaceAll('FWX0UNSUBSCRIBE0TOKEN0XWF', token) });
    }
  };
  // Bounded like the engine: nodemailer's pool would queue all 20,000 at once otherwise.
  await Promise.all(Array.from({ length: connections * 2 }, worker));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  return seconds;
}

async function baselineRaw(port: number, subscribers: number, connections: number, message: Buffer): Promise<number> {
  const body = Buffer.concat([Buffer.from(message.toString('latin1').replace(/\r\n\./g, '\r\n..'), 'latin1'), Buffer.from('\r\n.\r\n')]);
  const started = performance.now();
  let next = 1;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      let replies = 0;
      let expected = 1; // greeting
      let pendingText = '';
      let phase: 'greet' | 'ehlo' | 'envelope' | 'data' = 'greet';
      const sendNext = () => {
        if (next > subscribers) {
          socket.end('QUIT\r\n');
          return resolve();
        }
        const i = next++;
        phase = 'envelope';
        replies = 0;
        expected = 3;
        socket.write(`MAIL FROM:<${FROM}>\r\nRCPT TO:<reader${i}@example.com>\r\nDATA\r\n`);
      };
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        pendingText += chunk.toString('latin1');
        let eol: number;
        while ((eol = pendingText.indexOf('\r\n')) >= 0) {
          const line = pendingText.slice(0, eol);
          pendingText = pendingText.slice(eol + 2);
          if (line[3] === '-') continue;
          replies++;
          if (replies < expected) continue;
          if (phase === 'greet') {
            phase = 'ehlo';
            replies = 0;
            expected = 1;
            socket.write('EHLO bench\r\n');
          } else if (phase === 'ehlo') sendNext();
          else if (phase === 'envelope') {
            phase = 'data';
            replies = 0;
            expected = 1;
            socket.write(body);
          } else sendNext();
        }
      });
    });
  await Promise.all(Array.from({ length: connections }, one));
  return (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------------------------------------
// The orchestration.

function startChild(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, args, { cwd: options.cwd ?? repo, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const watch = watchProcess(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string; peakRssMb: number }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, peakRssMb: watch.stop().peakRssMb })),
  );
  return { child, done, stdout: () => stdout };
}

export async function startSink(): Promise<{ port: number; accepted(): Promise<number>; stop(): void }> {
  const sink = startChild([fileURLToPath(import.meta.url), 'sink']);
  const readLine = async (): Promise<string> => {
    for (;;) {
      const lines = sink.stdout().trim().split('\n');
      if (lines.length && lines[lines.length - 1]) {
        const consumed = sink.stdout();
        return consumed;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await readLine();
  const { port } = JSON.parse(sink.stdout().trim().split('\n')[0] as string) as { port: number };
  return {
    port,
    async accepted() {
      const before = sink.stdout().trim().split('\n').length;
      sink.child.stdin.write('?\n');
      while (sink.stdout().trim().split('\n').length === before) await new Promise((r) => setTimeout(r, 10));
      return (JSON.parse(sink.stdout().trim().split('\n').at(-1) as string) as { accepted: number }).accepted;
    },
    stop: () => sink.child.kill(),
  };
}

export async function makeProject(subscribers: number, connections: number): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bench-send-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'issues'));
  cpSync(path.join(repo, 'issues', `${ISSUE}.md`), path.join(dir, 'issues', `${ISSUE}.md`));
  writeFileSync(path.join(dir, 'fintechweekly.config.yaml'), `sender:\n  fromName: FinTech Weekly\n  fromEmail: ${FROM}\nsmtp:\n  connections: ${connections}\n  rate: 1000000\n`);
  const { openDb } = await import('../src/store/db.js');
  const db = openDb(path.join(dir, 'fintechweekly.db'));
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, ?, 'active', 'bench', ?, ?)`);
  const at = new Date().toISOString();
  db.transaction(() => {
    for (let i = 1; i <= subscribers; i++) insert.run(`reader${i}@example.com`, i % 2 ? `Reader ${i}` : null, at, at);
  })();
  db.close();
  return dir;
}

const SECRET_ENV = { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: 'bench-secret-0123456789', NO_COLOR: '1' };

/** `fintechweekly build` and `send` of the Klarna issue in a project from makeProject, to the sink on `port`; the send's process. */
export async function buildAndSend(dir: string, port: number) {
  const env = { ...SECRET_ENV, FINTECHWEEKLY_SMTP_URL: `smtp://127.0.0.1:${port}` };
  // Build once first, as an editor would have: the send then reuses the build.
  const build = await startChild([bin, 'build', ISSUE], { cwd: dir, env }).done;
  if (build.code !== 0) throw new Error(`build failed: ${build.stderr}`);
  // --force: the preflight check (SpamAssassin, Chromium) is `check`'s cost, measured there; this measures the send.
  const run = await startChild([bin, 'send', ISSUE, '--yes', '--force', '--json'], { cwd: dir, env }).done;
  if (run.code !== 0) throw new Error(`send failed (${run.code}): ${run.stderr}`);
  return run;
}

export async function measureCli(port: number, subscribers: number, connections: number): Promise<SendBenchRow> {
  const dir = await makeProject(subscribers, connections);
  try {
    const run = await buildAndSend(dir, port);
    const summary = JSON.parse(run.stdout) as { sent: number; durationMs: number };
    if (summary.sent !== subscribers) throw new Error(`sent ${summary.sent} of ${subscribers}`);
    const seconds = summary.durationMs / 1000;
    return { name: `fintechweekly send (${subscribers})`, subscribers, messages: summary.sent, seconds, messagesPerSecond: Math.round(summary.sent / seconds), peakRssMb: run.peakRssMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureBaseline(kind: 'stock' | 'raw', port: number, subscribers: number, connections: number): Promise<SendBenchRow> {
  const run = await startChild([fileURLToPath(import.meta.url), `baseline-${kind}`, String(port), String(subscribers), String(connections)]).done;
  if (run.code !== 0) throw new Error(`baseline ${kind} failed: ${run.stderr}`);
  const { seconds } = JSON.parse(run.stdout) as { seconds: number };
  return { name: kind === 'stock' ? '(a) nodemailer pool, sendMail' : '(b) raw socket, pre-built', subscribers, messages: subscribers, seconds, messagesPerSecond: Math.round(subscribers / seconds), peakRssMb: run.peakRssMb };
}

/** The built Klarna email (html, text, subject) and one composed message, for the baselines. */
async function sampleContent(): Promise<{ html: string; text: string; subject: string; message: Buffer }> {
  const dir = await makeProject(1, 1);
  try {
    const { loadSettings } = await import('../src/config/load.js');
    const { composeIssue } = await import('../src/pipeline/compose-issue.js');
    const { personalizeMessage } = await import('../src/core/message/compose.js');
    const settings = loadSettings({ cwd: dir, env: {} });
    const { built, template } = await composeIssue(settings, ISSUE, { now: new Date() });
    const message = personalizeMessage(template, { email: 'reader1@example.com', name: 'Reader 1', messageId: `<bench@fintechweekly.example>`, token: `1.${'x'.repeat(32)}` }).raw;
    return { html: built.html, text: built.text, subject: built.subject, message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchSend(options: { subscribers?: number; connections?: number; log?: (line: string) => void } = {}): Promise<SendBenchResult> {
  const subscribers = options.subscribers ?? 20_000;
  const connections = options.connections ?? 5;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const content = await sampleContent();
  const contentFile = path.join(mkdtempSync(path.join(tmpdir(), 'fw-bench-content-')), 'content.json');
  writeFileSync(contentFile, JSON.stringify({ html: content.html, text: content.text, subject: content.subject, message: content.message.toString('base64') }));
  process.env.FW_BENCH_CONTENT = contentFile;
  log(`send benchmark: Klarna email (${(content.message.length / 1024).toFixed(1)} KB composed), ${connections} connections, loopback sink in its own process`);
  const sink = await startSink();
  const rows: SendBenchRow[] = [];
  try {
    const small = Math.max(1, Math.round(subscribers / 10));
    for (const row of [
      await measureBaseline('stock', sink.port, subscribers, connections),
      await measureBaseline('raw', sink.port, subscribers, connections),
      await measureCli(sink.port, small, connections),
      await measureCli(sink.port, subscribers, connections),
    ]) {
      rows.push(row);
      log(`  ${row.name.padEnd(34)} ${String(row.messagesPerSecond).padStart(6)} msgs/s  ${row.seconds.toFixed(2).padStart(7)} s  peak RSS ${row.peakRssMb} MB`);
    }
    const accepted = await sink.accepted();
    const expected = subscribers * 3 + small;
    if (accepted !== expected) throw new Error(`the sink accepted ${accepted} messages, expected ${expected}`);
  } finally {
    sink.stop();
    rmSync(path.dirname(contentFile), { recursive: true, force: true });
  }
  const [stock, raw, cliSmall, cliFull] = rows as [SendBenchRow, SendBenchRow, SendBenchRow, SendBenchRow];
  const ratios = {
    vsStock: Math.round((cliFull.messagesPerSecond / stock.messagesPerSecond) * 100) / 100,
    vsRaw: Math.round((cliFull.messagesPerSecond / raw.messagesPerSecond) * 100) / 100,
    rss20kVs2k: Math.round((cliFull.peakRssMb / cliSmall.peakRssMb) * 100) / 100,
  };
  log(`  ratio send/stock pool: ${ratios.vsStock}x (goal >= 3x); send/raw socket: ${ratios.vsRaw}x; peak RSS ${cliFull.subscribers} vs ${cliSmall.subscribers}: ${ratios.rss20kVs2k}x (goal <= 1.10x)`);
  return { rows, ratios, messageBytes: content.message.length };
}

async function main(argv: string[]): Promise<void> {
  const [mode, ...rest] = argv;
  if (mode === 'sink') return runSink();
  if (mode === 'baseline-stock' || mode === 'baseline-raw') {
    const [port, subscribers, connections] = rest.map(Number) as [number, number, number];
    const content = JSON.parse(readFileSync(process.env.FW_BENCH_CONTENT as string, 'utf8')) as { html: string; text: string; subject: string; message: string };
    const seconds = mode === 'baseline-stock' ? await baselineStock(port, subscribers, connections, content.html, content.text, content.subject) : await baselineRaw(port, subscribers, connections, Buffer.from(content.message, 'base64'));
    process.stdout.write(`${JSON.stringify({ seconds })}\n`);
    return;
  }
  const flag = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : undefined;
  };
  await benchSend({ subscribers: flag('--subscribers'), connections: flag('--connections') });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
