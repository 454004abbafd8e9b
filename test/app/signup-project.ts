import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadSettings, type Settings } from '../../src/config/load.js';
import { openDb, type Db } from '../../src/store/db.js';
import { repo } from '../helpers/run-cli.js';

/**
 * A temporary project for the sign-up use-cases in process: the repository's templates, a small
 * config, optionally a welcome issue, its own SQLite file, and a clock the test moves.
 */
export const SECRET = 'signup-test-secret-0123456789';
export const WELCOME_FILE = 'welcome/selamat-datang.md';

export interface SignupProject {
  dir: string;
  settings: Settings;
  db: Db;
  clock: { now: Date; advance(ms: number): void; get: () => Date };
  /** Opens the store again (a restart) and returns the new handle. */
  reopen(): Db;
  sql<T>(query: string, ...params: unknown[]): T[];
  remove(): void;
}

export function signupProject(options: { smtpUrl?: string; config?: Record<string, unknown>; welcome?: boolean } = {}): SignupProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-signup-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  mkdirSync(path.join(dir, 'issues'));
  const signup: Record<string, unknown> = { ...(options.config?.signup as Record<string, unknown> | undefined) };
  if (options.welcome) {
    mkdirSync(path.join(dir, 'welcome'));
    writeFileSync(
      path.join(dir, WELCOME_FILE),
      `---\ntitle: Selamat datang di FinTech Weekly\ndate: 2026-12-01\nsubject: Selamat datang di FinTech Weekly\n---\n\nTerima kasih sudah berlangganan. Setiap minggu kami mengirim berita fintech teratas.\n\n## Yang akan Anda terima\n\nRingkasan berita, acara dan analisis.\n`,
    );
    signup.welcome = WELCOME_FILE;
  }
  const config = {
    sender: { fromName: 'FinTech Weekly', fromEmail: 'newsletter@fintechweekly.example', replyTo: 'editor@fintechweekly.example' },
    publicUrl: 'https://news.fintechweekly.example',
    smtp: { connections: 2, rate: 10000, messageTimeoutSeconds: 20 },
    send: { maxAttempts: 3, retryBaseSeconds: 0, retryMaxSeconds: 0 },
    ...options.config,
    signup,
  };
  writeFileSync(path.join(dir, 'fintechweekly.config.yaml'), stringify(config));
  const env: NodeJS.ProcessEnv = { FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, FINTECHWEEKLY_DB: path.join(dir, 'fintechweekly.db'), ...(options.smtpUrl ? { FINTECHWEEKLY_SMTP_URL: options.smtpUrl } : {}) };
  const settings = loadSettings({ cwd: dir, env });
  const clock = {
    now: new Date('2026-12-02T03:00:00.000Z'),
    advance(ms: number) {
      clock.now = new Date(clock.now.getTime() + ms);
    },
    get: () => clock.now,
  };
  const project: SignupProject = {
    dir,
    settings,
    db: openDb(settings.dbPath),
    clock,
    reopen() {
      project.db.close();
      project.db = openDb(settings.dbPath);
      return project.db;
    },
    sql<T>(query: string, ...params: unknown[]): T[] {
      return project.db.prepare(query).all(...params) as T[];
    },
    remove() {
      if (project.db.open) project.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return project;
}
