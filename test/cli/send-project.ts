import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { openDb } from '../../src/store/db.js';
import { bin, repo } from '../helpers/run-cli.js';

/**
 * A temporary project for send tests: the template, the Klarna issue, a small config, and N
 * subscribers written straight into its database. The CLI is spawned asynchronously, because the
 * SMTP sink runs in the test's own event loop.
 */
export const ISSUE = '2026-11-27-klarna-phk-ai-resesi';
export const SECRET = 'test-unsubscribe-secret-0123456789';

export interface SendProject {
  dir: string;
  db: string;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  spawn(args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  /** Rows of the send log of the Klarna issue, by address. */
  deliveries(): Map<string, { state: string; attempts: number; last_code: number | null; last_reply: string | null; message_id: string }>;
  sql<T>(query: string, ...params: unknown[]): T[];
  remove(): void;
}

export function address(i: number): string {
  return `reader${String(i).padStart(4, '0')}@example.com`;
}

const isSection = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `config` is merged into the test config one section deep (`{ smtp: { connections: 1 } }`); other keys replace. */
export function sendProject(options: { subscribers: number; smtpUrl?: string; config?: Record<string, unknown> }): SendProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-send-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'issues'));
  cpSync(path.join(repo, 'issues', `${ISSUE}.md`), path.join(dir, 'issues', `${ISSUE}.md`));
  const config: Record<string, unknown> = {
    sender: { fromName: 'FinTech Weekly', fromEmail: 'newsletter@fintechweekly.example', replyTo: 'editor@fintechweekly.example' },
    test: { recipients: ['editor@example.com', 'second.editor@example.com'] },
    smtp: { connections: 3, rate: 10000, messageTimeoutSeconds: 20 },
    send: { maxAttempts: 3, retryBaseSeconds: 0 },
  };
  for (const [key, value] of Object.entries(options.config ?? {})) {
    const current = config[key];
    config[key] = isSection(value) && isSection(current) ? { ...current, ...value } : value;
  }
  writeFileSync(
    path.join(dir, 'fintechweekly.config.yaml'),
    stringify({ ...config, publicUrl: 'https://news.fintechweekly.example', unsubscribeMailto: 'unsubscribe@fintechweekly.example' }),
  );
  const dbFile = path.join(dir, 'fintechweekly.db');
  const db = openDb(dbFile);
  const insert = db.prepare(`INSERT INTO subscribers (email, name, status, source, created_at, updated_at) VALUES (?, ?, 'active', 'test', ?, ?)`);
  const at = new Date().toISOString();
  db.transaction(() => {
    for (let i = 1; i <= options.subscribers; i++) insert.run(address(i), i % 3 === 0 ? `Pembaca Ke-${i} Ümit` : i % 3 === 1 ? `Reader ${i}` : null, at, at);
  })();
  db.close();
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    PATH: process.env.PATH,
    HOME: dir,
    NO_COLOR: '1',
    FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET,
    ...(options.smtpUrl ? { FINTECHWEEKLY_SMTP_URL: options.smtpUrl } : {}),
    ...extra,
  });
  const spawnCli = (args: string[], extra?: NodeJS.ProcessEnv) => spawn(process.execPath, [bin, ...args], { cwd: dir, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
  const sql = <T>(query: string, ...params: unknown[]): T[] => {
    const handle = openDb(dbFile);
    try {
      return handle.prepare(query).all(...params) as T[];
    } finally {
      handle.close();
    }
  };
  return {
    dir,
    db: dbFile,
    spawn: spawnCli,
    run(args, extra) {
      const child = spawnCli(args, extra);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
    },
    sql,
    deliveries() {
      const rows = sql<{ email: string; state: string; attempts: number; last_code: number | null; last_reply: string | null; message_id: string }>('SELECT email, state, attempts, last_code, last_reply, message_id FROM deliveries ORDER BY id');
      return new Map(rows.map((r) => [r.email, r]));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
