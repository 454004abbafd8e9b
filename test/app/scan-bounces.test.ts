import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scanBounces, type ScannedMessage } from '../../src/app/scan-bounces.js';
import { derivedMessageId } from '../../src/core/message/message-id.js';
import { createVerpToken, verpAddress } from '../../src/core/message/verp.js';
import { arfFor, BOUNCE_ADDRESS, bounceProject, dsnFor, maildirWith, type BounceProject } from '../helpers/bounce-project.js';

let project: BounceProject | undefined;
afterEach(() => project?.remove());

async function scan(p: BounceProject, sources: string[], options: { dryRun?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const messages: ScannedMessage[] = [];
  const warnings: string[] = [];
  const report = await scanBounces(p.settings(options.env), { sources, dryRun: options.dryRun }, { onMessage: (m) => messages.push(m), onWarning: (w) => warnings.push(w) });
  return { report, messages, warnings };
}

const USER_UNKNOWN = '550 5.1.1 <x>: Recipient address rejected: User unknown in virtual mailbox table';
const MAILBOX_FULL = '452 4.2.2 Mailbox full, quota exceeded';

describe('scanBounces', () => {
  it('a hard bounce to a VERP address sets that subscriber to bounced at once, with its evidence; others are untouched', async () => {
    project = bounceProject({ subscribers: ['gone@example.com', 'stays@example.com'] });
    const [gone] = project.sendIssue('issue-1');
    const box = maildirWith(project.dir, [dsnFor(gone!, { status: '5.1.1', diagnostic: USER_UNKNOWN, messageId: '<dsn-1@mx.example.net>' })]);
    const { report, messages } = await scan(project, [box]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ kind: 'bounce', delivery: { issue: 'issue-1', address: 'gone@example.com' }, matchedBy: 'verp', decision: 'bounced' });
    expect(messages[0]!.recipients).toEqual([{ address: 'gone@example.com', status: '5.1.1', class: 'hard', reason: 'user-unknown', diagnostic: expect.stringContaining('User unknown') }]);
    expect(project.subscriber('gone@example.com')).toEqual({ status: 'bounced', status_reason: 'hard-bounce' });
    expect(project.subscriber('stays@example.com')).toEqual({ status: 'active', status_reason: null });
    expect(project.sql('SELECT message_key, status, class, decision, matched_by FROM bounce_events')).toEqual([{ message_key: 'dsn-1@mx.example.net', status: '5.1.1', class: 'hard', decision: 'bounced', matched_by: 'verp' }]);
    expect(report).toMatchObject({ messages: 1, matched: 1, unmatched: 0, bounced: 1 });
  });

  it('scanning the same messages again changes nothing a second time', async () => {
    project = bounceProject({ subscribers: ['gone@example.com', 'full@example.com'] });
    const [gone, full] = project.sendIssue('issue-1');
    const box = maildirWith(project.dir, [dsnFor(gone!, { status: '5.1.1', diagnostic: USER_UNKNOWN }), dsnFor(full!, { status: '4.2.2', diagnostic: MAILBOX_FULL })]);
    await scan(project, [box]);
    const before = project.sql('SELECT * FROM bounce_events ORDER BY id');
    const again = await scan(project, [box]);
    expect(again.messages.map((m) => m.decision)).toEqual(['already', 'already']);
    expect(project.sql('SELECT * FROM bounce_events ORDER BY id')).toEqual(before);
    expect(again.report).toMatchObject({ already: 2, bounced: 0, counted: 0 });
  });

  it('soft bounces count: softLimit consecutive issues with a soft bounce make the subscriber bounced; a delivery in between resets the run', async () => {
    project = bounceProject({ subscribers: ['full@example.com', 'sometimes@example.com'], config: { softLimit: 2 } });
    const first = project.sendIssue('issue-1', new Date('2026-11-01T00:00:00Z'));
    const second = project.sendIssue('issue-2', new Date('2026-11-08T00:00:00Z'));
    const third = project.sendIssue('issue-3', new Date('2026-11-15T00:00:00Z'));
    const find = (list: typeof first, email: string) => list.find((d) => d.email === email)!;
    // full@ bounces issue 1 and 2; sometimes@ bounces issue 1 and 3 (issue 2 got through).
    const box1 = maildirWith(project.dir, [dsnFor(find(first, 'full@example.com'), { status: '4.2.2', diagnostic: MAILBOX_FULL }), dsnFor(find(first, 'sometimes@example.com'), { status: '4.2.2', diagnostic: MAILBOX_FULL })]);
    const r1 = await scan(project, [box1]);
    expect(r1.messages.map((m) => m.decision)).toEqual(['counted', 'counted']);
    expect(project.subscriber('full@example.com')?.status).toBe('active');
    const box2 = maildirWith(project.dir, [dsnFor(find(second, 'full@example.com'), { status: '4.2.2', diagnostic: MAILBOX_FULL }), dsnFor(find(third, 'sometimes@example.com'), { status: '4.4.7', diagnostic: 'retry timeout exceeded' })]);
    const r2 = await scan(project, [box2]);
    expect(r2.messages.map((m) => m.decision)).toEqual(['bounced', 'counted']);
    expect(project.subscriber('full@example.com')).toEqual({ status: 'bounced', status_reason: 'soft-bounces' });
    expect(project.subscriber('sometimes@example.com')).toEqual({ status: 'active', status_reason: null });
  });

  it('a complaint unsubscribes at once and records that it was a complaint', async () => {
    project = bounceProject({ subscribers: ['angry@example.com'] });
    const [angry] = project.sendIssue('issue-1');
    const box = maildirWith(project.dir, [arfFor(angry!)]);
    const { messages } = await scan(project, [box]);
    expect(messages[0]).toMatchObject({ kind: 'complaint', decision: 'unsubscribed', delivery: { address: 'angry@example.com' } });
    expect(project.subscriber('angry@example.com')).toEqual({ status: 'unsubscribed', status_reason: 'complaint' });
    expect(project.sql('SELECT kind, reason FROM bounce_events')).toEqual([{ kind: 'complaint', reason: 'complaint' }]);
  });

  it('without a VERP token (a relay rewrote the envelope), the quoted original Message-ID ties the bounce to its delivery', async () => {
    project = bounceProject({ subscribers: ['gone@example.com'] });
    const [gone] = project.sendIssue('issue-1');
    const box = maildirWith(project.dir, [dsnFor(gone!, { status: '5.1.1', diagnostic: USER_UNKNOWN, to: 'bounces@relay.example.net' }).replace(`Return-Path: <${gone!.verp}>`, 'Return-Path: <bounce-handler@relay.example.net>')]);
    const { messages } = await scan(project, [box]);
    expect(messages[0]).toMatchObject({ matchedBy: 'message-id', decision: 'bounced' });
    expect(project.subscriber('gone@example.com')?.status).toBe('bounced');
  });

  it('a bounce quoting a guessed Message-ID of the old kind (slug + address hash) changes nothing; that old row still bounces by its VERP token', async () => {
    project = bounceProject({ subscribers: ['reader@example.com', 'other@example.com'] });
    const [reader, other] = project.sendIssue('issue-1');
    expect(reader!.messageId).toMatch(/^<issue-1\.[0-9a-f]{32}@/);
    // A send log written before Message-IDs were random: its rows keep the ids they were sent with.
    const FROM_DOMAIN = reader!.messageId.slice(reader!.messageId.indexOf('@') + 1, -1);
    for (const d of [reader!, other!]) project.sql(`UPDATE deliveries SET message_id = ? WHERE id = ? RETURNING id`, derivedMessageId('issue-1', d.email, `newsletter@${FROM_DOMAIN}`), d.id);
    // The forger knows the issue's slug and the reader's address, not our secret: no VERP token, a computed Message-ID.
    const guessed = derivedMessageId('issue-1', 'reader@example.com', 'anything@example.org');
    const forged = dsnFor({ email: 'reader@example.com', messageId: guessed.replace('example.org', FROM_DOMAIN), verp: BOUNCE_ADDRESS }, { status: '5.1.1', diagnostic: USER_UNKNOWN });
    const genuine = dsnFor({ ...other!, messageId: derivedMessageId('issue-1', other!.email, `newsletter@${FROM_DOMAIN}`) }, { status: '5.1.1', diagnostic: USER_UNKNOWN });
    const box = maildirWith(project.dir, [forged, genuine]);
    const { messages, report } = await scan(project, [box]);
    expect(messages[0]!.delivery).toBeNull();
    expect(messages[0]!.problems.join('\n')).toMatch(/old kind anyone can compute/);
    expect(messages[1]).toMatchObject({ matchedBy: 'verp', decision: 'bounced', delivery: { address: 'other@example.com' } });
    expect(report.unmatched).toBe(1);
    expect(project.subscriber('reader@example.com')?.status).toBe('active');
    expect(project.sql('SELECT address FROM bounce_events')).toEqual([{ address: 'other@example.com' }]);
  });

  it('forged bounces change nothing: a token with a bad signature, a token for another address, an address we never mailed', async () => {
    project = bounceProject({ subscribers: ['reader@example.com', 'other@example.com'] });
    const [reader, other] = project.sendIssue('issue-1');
    const badSignature = verpAddress(BOUNCE_ADDRESS, `${reader!.id.toString(36)}-aaaaaaaaaaaaaaaa`);
    const otherAddressToken = verpAddress(BOUNCE_ADDRESS, createVerpToken('another-secret', other!.id, other!.email));
    const stranger = { email: 'stranger@example.com', messageId: '<not-ours@example.com>', verp: BOUNCE_ADDRESS };
    const box = maildirWith(project.dir, [
      dsnFor({ ...reader!, verp: badSignature, messageId: '<x@y.example>' }, { status: '5.1.1', diagnostic: USER_UNKNOWN }),
      dsnFor({ ...other!, verp: otherAddressToken, messageId: '<z@y.example>' }, { status: '5.1.1', diagnostic: USER_UNKNOWN }),
      dsnFor(stranger, { status: '5.1.1', diagnostic: USER_UNKNOWN }),
    ]);
    const { messages, report } = await scan(project, [box]);
    expect(messages.map((m) => m.delivery)).toEqual([null, null, null]);
    expect(messages[0]!.problems.join('\n')).toMatch(/bad signature/);
    expect(messages[1]!.problems.join('\n')).toMatch(/bad signature/);
    expect(messages[2]!.problems.join('\n')).toMatch(/stranger@example\.com matches no delivery of ours/);
    expect(report.unmatched).toBe(3);
    expect(project.sql('SELECT status FROM subscribers')).toEqual([{ status: 'active' }, { status: 'active' }]);
    expect(project.sql('SELECT * FROM bounce_events')).toEqual([]);
  });

  it('auto-replies and delay notices are never bounces', async () => {
    project = bounceProject({ subscribers: ['away@example.com'] });
    const [away] = project.sendIssue('issue-1');
    const autoReply = `From: away@example.com\r\nTo: ${away!.verp}\r\nSubject: Out of Office: issue-1\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: ${away!.messageId}\r\n\r\nI am away. Your message will not be forwarded; this mailbox is not monitored.\r\n`;
    const delayed = dsnFor(away!, { status: '4.4.1', diagnostic: 'connect to mx.example.com: Connection timed out', action: 'delayed' }).replace('Undelivered Mail Returned to Sender', 'Delayed Mail (still being retried)');
    const box = maildirWith(project.dir, [autoReply, delayed]);
    const { messages } = await scan(project, [box]);
    expect(messages.map((m) => m.kind)).toEqual(['auto-reply', 'delayed']);
    expect(messages.map((m) => m.decision)).toEqual([null, null]);
    expect(project.subscriber('away@example.com')?.status).toBe('active');
  });

  it('bad input is reported one line each and the scan goes on: malformed MIME, a 30 MB message, bytes that are not UTF-8', async () => {
    project = bounceProject({ subscribers: ['gone@example.com', 'big@example.com', 'latin@example.com'] });
    const [gone, big, latin] = project.sendIssue('issue-1');
    const malformed = dsnFor(gone!, { status: '5.1.1', diagnostic: USER_UNKNOWN }).replace('; boundary="b"', '').replace(/--b--\r\n$/, '');
    const huge = Buffer.concat([Buffer.from(dsnFor(big!, { status: '5.1.1', diagnostic: USER_UNKNOWN }).replace(/--b--\r\n$/, '--b\r\nContent-Type: application/octet-stream\r\n\r\n')), Buffer.alloc(30 * 1024 * 1024, 0x41)]);
    const latin1 = Buffer.from(dsnFor(latin!, { status: '5.1.1', diagnostic: 'Empf\xe4nger unbekannt, user unknown' }), 'latin1');
    const box = maildirWith(project.dir, [malformed, huge, latin1, Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a])]);
    const { messages, report } = await scan(project, [box]);
    expect(messages).toHaveLength(4);
    expect(messages[0]!.problems).toEqual([expect.stringMatching(/without a boundary parameter/), expect.stringMatching(/not closed/)]);
    expect(messages[0]!.decision).toBe('bounced');
    expect(messages[1]!.problems).toEqual([expect.stringMatching(/is 30\.0 MB: only its first 1 MB were read/), expect.stringMatching(/not closed/)]);
    expect(messages[1]!.decision).toBe('bounced');
    expect(messages[2]!.problems).toEqual([expect.stringMatching(/not UTF-8/)]);
    expect(messages[2]!.recipients[0]).toMatchObject({ class: 'hard', diagnostic: expect.stringContaining('Empfänger unbekannt') });
    expect(messages[3]).toMatchObject({ kind: 'other', delivery: null, problems: ['no message headers', expect.stringMatching(/not UTF-8/)] });
    expect(report.messages).toBe(4);
  });

  it('--dry-run writes nothing: no database is created, an existing one is not changed', async () => {
    project = bounceProject({ subscribers: ['gone@example.com'] });
    const [gone] = project.sendIssue('issue-1');
    const box = maildirWith(project.dir, [dsnFor(gone!, { status: '5.1.1', diagnostic: USER_UNKNOWN })]);
    const snapshot = () => readdirSync(project!.dir).filter((f) => f.startsWith('fintechweekly.db')).map((f) => [f, statSync(path.join(project!.dir, f)).mtimeMs, readFileSync(path.join(project!.dir, f)).length]);
    const before = snapshot();
    const { messages, report } = await scan(project, [box], { dryRun: true });
    expect(messages[0]).toMatchObject({ kind: 'bounce', delivery: { address: 'gone@example.com' }, decision: null });
    expect(report.dryRun).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(project.subscriber('gone@example.com')?.status).toBe('active');
    const noStore = path.join(project.dir, 'none', 'fresh.db');
    await scan(project, [box], { dryRun: true, env: { FINTECHWEEKLY_DB: noStore } });
    expect(existsSync(noStore)).toBe(false);
  });

  it('reads mbox files (escaped From lines, several messages) and .eml files and folders of them', async () => {
    project = bounceProject({ subscribers: ['a@example.com', 'b@example.com'] });
    const [a, b] = project.sendIssue('issue-1');
    const mboxFile = path.join(project.dir, 'bounces.mbox');
    const body = (m: string) => m.replace(/\r\n/g, '\n').replace(/^From /gm, '>From ');
    writeFileSync(mboxFile, `From MAILER-DAEMON Sat Nov 28 10:00:00 2026\n${body(dsnFor(a!, { status: '5.1.1', diagnostic: USER_UNKNOWN }))}\nFrom MAILER-DAEMON Sat Nov 28 10:00:01 2026\n${body(dsnFor(b!, { status: '4.2.2', diagnostic: MAILBOX_FULL }))}\n`);
    const mbox = await scan(project, [mboxFile], { dryRun: true });
    expect(mbox.messages.map((m) => [m.file, m.recipients.map((r) => [r.address, r.class])])).toEqual([
      [`${mboxFile}#1`, [['a@example.com', 'hard']]],
      [`${mboxFile}#2`, [['b@example.com', 'soft']]],
    ]);
    // Some writers put no blank line before the next postmark; a body line that starts with "From " is no postmark.
    const tight = path.join(project.dir, 'tight.mbox');
    const second = dsnFor(b!, { status: '4.2.2', diagnostic: MAILBOX_FULL }).replace(/\r\n/g, '\n').replace('\n\n', '\n\nThe report.\nFrom here on, in the words of the server:\n');
    writeFileSync(tight, `From MAILER-DAEMON Sat Nov 28 10:00:00 2026\n${body(dsnFor(a!, { status: '5.1.1', diagnostic: USER_UNKNOWN }))}From MAILER-DAEMON@mx.example.com  Sat Nov 28 10:00:01 2026\n${second}`);
    const tightScan = await scan(project, [tight], { dryRun: true });
    expect(tightScan.messages.map((m) => [m.file, m.recipients.map((r) => [r.address, r.class])])).toEqual([
      [`${tight}#1`, [['a@example.com', 'hard']]],
      [`${tight}#2`, [['b@example.com', 'soft']]],
    ]);
    const emlDir = path.join(project.dir, 'eml');
    const box = maildirWith(project.dir, []);
    writeFileSync(path.join(box, '..', 'one.eml'), dsnFor(a!, { status: '5.1.1', diagnostic: USER_UNKNOWN }));
    const eml = await scan(project, [path.join(box, '..', 'one.eml')], { dryRun: true });
    expect(eml.messages.map((m) => m.kind)).toEqual(['bounce']);
    expect(existsSync(emlDir)).toBe(false);
  });
});
