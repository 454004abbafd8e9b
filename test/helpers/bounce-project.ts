import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadSettings, type Settings } from '../../src/config/load.js';
import { createVerpToken, verpAddress } from '../../src/core/message/verp.js';
import { ensureCampaign, type Campaign } from '../../src/store/campaigns.js';
import { openDb, type Db } from '../../src/store/db.js';
import { snapshotDeliveries } from '../../src/store/deliveries.js';

/**
 * A project whose store holds subscribers and sent issues, and helpers that write the bounces real
 * servers would send back for them (to the delivery's VERP address, quoting its Message-ID).
 */
export const SECRET = 'test-unsubscribe-secret-0123456789';
export const BOUNCE_ADDRESS = 'bounces@fintechweekly.example';
export const FROM = 'newsletter@fintechweekly.example';

export interface SentDelivery {
  id: number;
  email: string;
  issue: string;
  messageId: string;
  verp: string;
}

export interface BounceProject {
  dir: string;
  dbFile: string;
  settings(env?: NodeJS.ProcessEnv): Settings;
  /** Sends an issue (snapshots the active subscribers and marks every delivery sent). */
  sendIssue(slug: string, at?: Date): SentDelivery[];
  sql<T>(query: string, ...params: unknown[]): T[];
  subscriber(email: string): { status: string; status_reason: string | null } | undefined;
  remove(): void;
}

export function bounceProject(options: { subscribers: string[]; config?: Record<string, unknown> }): BounceProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-bounces-'));
  const dbFile = path.join(dir, 'fintechweekly.db');
  writeFileSync(
    path.join(dir, 'fintechweekly.config.yaml'),
    stringify({ sender: { fromName: 'FinTech Weekly', fromEmail: FROM }, bounce: { address: BOUNCE_ADDRESS, ...(options.config ?? {}) } }),
  );
  const db = openDb(dbFile);
  const at = new Date().toISOString();
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, NULL, 'active', 'test', ?, ?)`);
  for (const email of options.subscribers) insert.run(email, at, at);
  db.close();
  const withDb = <T>(work: (db: Db) => T): T => {
    const handle = openDb(dbFile);
    try {
      return work(handle);
    } finally {
      handle.close();
    }
  };
  return {
    dir,
    dbFile,
    settings: (env = {}) => loadSettings({ cwd: dir, env: { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, FINTECHWEEKLY_DB: dbFile, ...env } }),
    sendIssue(slug, when = new Date()) {
      return withDb((handle) => {
        const campaign: Campaign = ensureCampaign(handle, { slug, issuePath: `issues/${slug}.md`, subject: slug, contentHash: slug }, when);
        snapshotDeliveries(handle, campaign, FROM, when);
        handle.prepare(`UPDATE deliveries SET state = 'sent', sent_at = ?, attempts = 1 WHERE campaign_id = ?`).run(when.toISOString(), campaign.id);
        const rows = handle.prepare('SELECT id, email, message_id AS messageId FROM deliveries WHERE campaign_id = ? ORDER BY id').all(campaign.id) as { id: number; email: string; messageId: string }[];
        return rows.map((r) => ({ ...r, issue: slug, verp: verpAddress(BOUNCE_ADDRESS, createVerpToken(SECRET, r.id, r.email)) }));
      });
    },
    sql: (query, ...params) => withDb((handle) => handle.prepare(query).all(...params) as never),
    subscriber: (email) => withDb((handle) => handle.prepare('SELECT status, status_reason FROM subscribers WHERE email = ?').get(email) as never),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A Postfix-style DSN for one delivery: sent to `to` (its VERP address unless given), quoting the original's headers. */
export function dsnFor(delivery: Pick<SentDelivery, 'email' | 'messageId' | 'verp'>, options: { status: string; diagnostic: string; to?: string; messageId?: string; action?: string }): string {
  const id = options.messageId ?? `<dsn.${Math.random().toString(36).slice(2)}@mx.example.net>`;
  return [
    'Return-Path: <>',
    `Delivered-To: ${options.to ?? delivery.verp}`,
    'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
    `To: ${options.to ?? delivery.verp}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-Id: ${id}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    `<${delivery.email}>: ${options.diagnostic}`,
    '',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    `Final-Recipient: rfc822; ${delivery.email}`,
    `Action: ${options.action ?? 'failed'}`,
    `Status: ${options.status}`,
    `Diagnostic-Code: smtp; ${options.diagnostic}`,
    '',
    '--b',
    'Content-Type: text/rfc822-headers',
    '',
    `Return-Path: <${delivery.verp}>`,
    `From: FinTech Weekly <${FROM}>`,
    `To: ${delivery.email}`,
    `Message-ID: ${delivery.messageId}`,
    '',
    '--b--',
    '',
  ].join('\r\n');
}

export function arfFor(delivery: Pick<SentDelivery, 'email' | 'messageId' | 'verp'>): string {
  return [
    'From: Feedback Loop <feedback@fbl.example.net>',
    'To: abuse@fintechweekly.example',
    'Subject: Abuse report',
    `Message-ID: <arf.${Math.random().toString(36).slice(2)}@fbl.example.net>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="f"',
    '',
    '--f',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report.',
    '--f',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'Version: 1',
    `Original-Mail-From: <${delivery.verp}>`,
    `Original-Rcpt-To: <${delivery.email}>`,
    '',
    '--f',
    'Content-Type: message/rfc822',
    '',
    `Return-Path: <${delivery.verp}>`,
    `From: FinTech Weekly <${FROM}>`,
    `To: ${delivery.email}`,
    `Message-ID: ${delivery.messageId}`,
    'Subject: issue',
    '',
    'body',
    '--f--',
    '',
  ].join('\r\n');
}

/** Writes messages into a new Maildir (new/) and returns its path. */
export function maildirWith(dir: string, messages: (string | Buffer)[]): string {
  const box = path.join(dir, `Maildir-${Math.random().toString(36).slice(2)}`);
  for (const sub of ['new', 'cur', 'tmp']) mkdirSync(path.join(box, sub), { recursive: true });
  messages.forEach((m, i) => writeFileSync(path.join(box, 'new', `${1700000000 + i}.M${i}P1.test`), m));
  return box;
}

