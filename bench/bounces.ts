/**
 * Bounce scan benchmark: the whole `fintechweekly bounces scan MAILDIR` process reading a Maildir
 * of N returned messages for an issue sent to N subscribers, every message VERP-addressed to its
 * delivery. The messages are a mix of what comes back in real life: Postfix DSNs returning the
 * whole newsletter (hard and soft), Gmail and Office 365 DSNs, Exim and qmail text bounces, ARF
 * complaints, auto-replies and delay notices. Peak RSS is the scan process's VmHWM; run at N/10,
 * N and 2N to show memory stays flat (messages are streamed): 2N/N is the ratio that matters, since
 * the N/10 run ends before V8 has grown its heap to its working size.
 *
 *   node lib/bench/bounces.js [--messages 10000]
 * or `benchBounces()` from bench/run.ts.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo, watchProcess } from './processes.js';

const SECRET = 'bench-secret-0123456789';
const BOUNCE = 'bounces@fintechweekly.example';
const FROM = 'newsletter@fintechweekly.example';

export interface BounceBenchRow {
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  /** CPU time (user + system) of the scan process: the rate this machine gives when it is not shared. */
  cpuSeconds: number;
  messagesPerCpuSecond: number;
  peakRssMb: number;
  bytes: number;
}

/** A newsletter-sized returned message (about 24 KB): what a DSN that returns the whole message carries. */
function returnedMessage(email: string, messageId: string, verp: string): string {
  const paragraph = 'Klarna mencatat kenaikan pendapatan, sementara PHK di sektor teknologi berlanjut dan AI mengubah cara bank bekerja. '.repeat(6);
  const html = `<p>${paragraph}</p>\r\n`.repeat(20);
  return [
    `Return-Path: <${verp}>`,
    `From: FinTech Weekly <${FROM}>`,
    `To: ${email}`,
    'Subject: Klarna, PHK dan AI',
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="alt"',
    '',
    '--alt',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `${paragraph}\r\n`.repeat(10),
    '--alt',
    'Content-Type: text/html; charset=utf-8',
    '',
    html,
    '--alt--',
  ].join('\r\n');
}

function bounceFor(i: number, email: string, messageId: string, verp: string): string {
  const head = (from: string, subject: string) => [`Return-Path: <>`, `Delivered-To: ${verp}`, `From: ${from}`, `To: ${verp}`, `Subject: ${subject}`, `Message-ID: <b${i}@mx.example.net>`, 'MIME-Version: 1.0'];
  const dsn = (from: string, subject: string, human: string, status: string, diagnostic: string, enclosed: string, action = 'failed') =>
    [
      ...head(from, subject),
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      '',
      '--r',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      human,
      '',
      '--r',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example.net',
      '',
      `Final-Recipient: rfc822; ${email}`,
      `Action: ${action}`,
      `Status: ${status}`,
      `Diagnostic-Code: smtp; ${diagnostic}`,
      '',
      '--r',
      enclosed,
      '--r--',
      '',
    ].join('\r\n');
  const full = `Content-Type: message/rfc822\r\n\r\n${returnedMessage(email, messageId, verp)}`;
  const headersOnly = `Content-Type: text/rfc822-headers\r\n\r\nReturn-Path: <${verp}>\r\nFrom: FinTech Weekly <${FROM}>\r\nTo: ${email}\r\nMessage-ID: ${messageId}\r\n`;
  switch (i % 10) {
    case 0:
    case 1:
    case 2:
      return dsn('Mail Delivery System <MAILER-DAEMON@mx.example.net>', 'Undelivered Mail Returned to Sender', `This is the mail system at host mx.example.net.\r\n\r\n<${email}>: host mx.example.com[192.0.2.1] said: 550 5.1.1 <${email}>: Recipient address rejected: User unknown in virtual mailbox table`, '5.1.1', `550 5.1.1 <${email}>: Recipient address rejected: User unknown in virtual mailbox table`, full);
    case 3:
      return dsn('Mail Delivery System <MAILER-DAEMON@mx.example.net>', 'Undelivered Mail Returned to Sender', `<${email}>: host mx.example.com said: 452 4.2.2 Mailbox full`, '4.2.2', '452 4.2.2 Mailbox full, quota exceeded', full);
    case 4:
      return dsn('Mail Delivery Subsystem <mailer-daemon@googlemail.com>', 'Delivery Status Notification (Failure)', "** Address not found **\r\n\r\nYour message wasn't delivered because the address couldn't be found.", '5.1.1', '550-5.1.1 The email account that you tried to reach does not exist. https://support.google.com/mail/?p=NoSuchUser - gsmtp', headersOnly);
    case 5:
      return dsn('Microsoft Outlook <postmaster@outlook.example>', 'Undeliverable: Klarna, PHK dan AI', 'Delivery has failed to these recipients or groups:', '5.7.606', '550 5.7.606 Access denied, banned sending IP [203.0.113.5]', full);
    case 6:
      return [...head('Mail Delivery System <Mailer-Daemon@mx.example.net>', 'Mail delivery failed: returning message to sender'), `X-Failed-Recipients: ${email}`, 'Content-Type: text/plain', '', 'This message was created automatically by mail delivery software.', '', 'A message that you sent could not be delivered to one or more of its', 'recipients. This is a permanent error. The following address(es) failed:', '', `  ${email}`, `    SMTP error from remote mail server after RCPT TO:<${email}>:`, '    550 5.1.1 No such user here', '', '------ This is a copy of the message, including all the headers. ------', '', returnedMessage(email, messageId, verp)].join('\r\n');
    case 7:
      return [...head('MAILER-DAEMON@mx.example.org', 'failure notice'), '', 'Hi. This is the qmail-send program at mx.example.org.', "I'm afraid I wasn't able to deliver your message to the following addresses.", "This is a permanent error; I've given up. Sorry it didn't work out.", '', `<${email}>:`, 'Sorry, no mailbox here by that name. (#5.1.1)', '', '--- Below this line is a copy of the message.', '', returnedMessage(email, messageId, verp)].join('\r\n');
    case 8:
      return [`From: Feedback Loop <feedback@fbl.example.net>`, 'To: abuse@fintechweekly.example', 'Subject: Abuse report', `Message-ID: <arf${i}@fbl.example.net>`, 'MIME-Version: 1.0', 'Content-Type: multipart/report; report-type=feedback-report; boundary="f"', '', '--f', 'Content-Type: text/plain', '', 'This is an email abuse report.', '--f', 'Content-Type: message/feedback-report', '', 'Feedback-Type: abuse', 'Version: 1', `Original-Rcpt-To: <${email}>`, '', '--f', 'Content-Type: message/rfc822', '', returnedMessage(email, messageId, verp), '--f--', ''].join('\r\n');
    default:
      return i % 20 === 9
        ? [`From: ${email}`, `To: ${verp}`, 'Subject: Out of Office: Klarna, PHK dan AI', 'Auto-Submitted: auto-replied', `Message-ID: <ooo${i}@example.com>`, '', 'I am away until Monday.', ''].join('\r\n')
        : dsn('Mail Delivery System <MAILER-DAEMON@mx.example.net>', 'Delayed Mail (still being retried)', 'THIS IS A WARNING ONLY.', '4.4.1', 'connect to mx.example.com[192.0.2.1]:25: Connection timed out', headersOnly, 'delayed');
  }
}

async function makeProject(messages: number): Promise<{ dir: string; maildir: string; bytes: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bench-bounces-'));
  writeFileSync(path.join(dir, 'fintechweekly.config.yaml'), `sender:\n  fromEmail: ${FROM}\nbounce:\n  address: ${BOUNCE}\n`);
  const { openDb } = await import('../src/store/db.js');
  const { ensureCampaign } = await import('../src/store/campaigns.js');
  const { snapshotDeliveries } = await import('../src/store/deliveries.js');
  const { createVerpToken, verpAddress } = await import('../src/core/message/verp.js');
  const db = openDb(path.join(dir, 'fintechweekly.db'));
  const at = new Date();
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, NULL, 'active', 'bench', ?, ?)`);
  db.transaction(() => {
    for (let i = 1; i <= messages; i++) insert.run(`reader${i}@example.com`, at.toISOString(), at.toISOString());
  })();
  const campaign = ensureCampaign(db, { slug: 'bench-issue', issuePath: 'issues/bench-issue.md', subject: 'Bench', contentHash: 'x' }, at);
  snapshotDeliveries(db, campaign, FROM, at);
  db.prepare(`UPDATE deliveries SET state = 'sent'`).run();
  const maildir = path.join(dir, 'Maildir');
  for (const sub of ['new', 'cur', 'tmp']) mkdirSync(path.join(maildir, sub), { recursive: true });
  let bytes = 0;
  let i = 0;
  for (const row of db.prepare('SELECT id, email, message_id AS messageId FROM deliveries ORDER BY id').iterate() as IterableIterator<{ id: number; email: string; messageId: string }>) {
    const verp = verpAddress(BOUNCE, createVerpToken(SECRET, row.id, row.email));
    const text = bounceFor(i, row.email, row.messageId, verp);
    bytes += Buffer.byteLength(text);
    writeFileSync(path.join(maildir, 'new', `${1796000000 + i}.M${i}P1.bench`), text);
    i++;
  }
  db.close();
  return { dir, maildir, bytes };
}

function runScan(dir: string, maildir: string): Promise<{ code: number | null; stdout: string; stderr: string; peakRssMb: number; seconds: number; cpuSeconds: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(repo, 'bin/fintechweekly.js'), 'bounces', 'scan', maildir], {
    cwd: dir,
    env: { ...process.env, FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watch = watchProcess(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr, ...watch.stop(), seconds: (performance.now() - started) / 1000 })),
  );
}

async function measure(messages: number, log: (line: string) => void): Promise<BounceBenchRow> {
  const { dir, maildir, bytes } = await makeProject(messages);
  try {
    const run = await runScan(dir, maildir);
    if (run.code !== 0) throw new Error(`bounces scan failed (${run.code}): ${run.stderr}`);
    const summary = /scanned (\d+) messages .* in ([\d.]+) s: .*; (\d+) matched to our deliveries, (\d+) unmatched; (\d+) set to bounced/.exec(run.stdout);
    if (!summary || Number(summary[1]) !== messages) throw new Error(`unexpected scan summary: ${run.stdout.split('\n').at(-2)}`);
    if (Number(summary[4]) !== 0) throw new Error(`${summary[4]} bounces did not match their delivery`);
    const row = { messages, seconds: run.seconds, messagesPerSecond: Math.round(messages / run.seconds), cpuSeconds: run.cpuSeconds, messagesPerCpuSecond: Math.round(messages / run.cpuSeconds), peakRssMb: run.peakRssMb, bytes };
    log(
      `  bounces scan, Maildir of ${String(messages).padStart(6)} (${(bytes / 1024 / 1024).toFixed(0)} MB): ${String(row.messagesPerSecond).padStart(5)} msgs/s (${row.seconds.toFixed(2)} s, whole process), ` +
        `${row.messagesPerCpuSecond} msgs per CPU second (${row.cpuSeconds.toFixed(2)} s CPU), peak RSS ${row.peakRssMb} MB; ${summary[5]} set to bounced`,
    );
    return row;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface BounceBenchResult {
  /** N/10, N and 2N messages. */
  rows: BounceBenchRow[];
  /** Peak RSS at N over N/10. */
  rssRatio: number;
  /** Peak RSS at 2N over N: the fair test of flatness (both runs are long enough for V8 to have sized its heap). */
  rssRatio2N: number;
}

export async function benchBounces(options: { messages?: number; log?: (line: string) => void } = {}): Promise<BounceBenchResult> {
  const messages = options.messages ?? 10_000;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  log(`\nbounce scan benchmark: mixed real-world formats, every message VERP-addressed to its delivery (goal >= 500 msgs/s, flat memory)`);
  const sizes = [Math.max(1, Math.round(messages / 10)), messages, messages * 2];
  const rows: BounceBenchRow[] = [];
  for (const size of sizes) rows.push(await measure(size, log));
  const [tenth, n, twice] = rows as [BounceBenchRow, BounceBenchRow, BounceBenchRow];
  const ratio = (a: BounceBenchRow, b: BounceBenchRow) => Math.round((a.peakRssMb / b.peakRssMb) * 100) / 100;
  const rssRatio = ratio(n, tenth);
  const rssRatio2N = ratio(twice, n);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  log(`  peak RSS: ${tenth.messages} messages ${tenth.peakRssMb} MB, ${n.messages} ${n.peakRssMb} MB, ${twice.messages} ${twice.peakRssMb} MB`);
  log(`  peak RSS ${twice.messages} / ${n.messages}: ${rssRatio2N}x; ${n.messages} / ${tenth.messages}: ${rssRatio}x; load average at the end: ${load} (${availableParallelism()} cores)`);
  return { rows, rssRatio, rssRatio2N };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--messages');
  await benchBounces({ messages: i >= 0 ? Number(process.argv[i + 1]) : undefined });
}
