import { loadSettings, type Settings } from '../../src/config/load.js';
import { dispatch, type DispatchEvent, type DispatchReport } from '../../src/app/dispatch.js';
import { prepareSend, sendIssue, type PreparedSend, type SendDeps, type SendEvent, type SendInput, type SendReport } from '../../src/app/send-issue.js';
import { sqliteCampaignSource } from '../../src/store/campaign-source.js';
import { openDb, type Db } from '../../src/store/db.js';
import { startSmtpSink, type SmtpSink, type SmtpSinkOptions } from '../helpers/smtp-sink.js';
import { ISSUE, SECRET, sendProject, type SendProject } from '../cli/send-project.js';

/**
 * The send and dispatch use-cases in this process, against a real SMTP server on loopback and the
 * real SQLite file of a temporary project (the same project the CLI tests spawn the CLI in).
 */
export interface SendHarness {
  sink: SmtpSink;
  project: SendProject;
  settings: Settings;
  db: Db;
  /** Everything the use-cases reported, in order. */
  events: SendEvent[];
  dispatchEvents: DispatchEvent[];
  prepare(input?: Partial<SendInput>, deps?: Partial<SendDeps>): Promise<PreparedSend>;
  send(input?: Partial<SendInput>, deps?: Partial<SendDeps>): Promise<SendReport>;
  dispatch(): Promise<DispatchReport>;
  /** The settings again, with other environment variables (they are read once, like the CLI does). */
  reload(env: NodeJS.ProcessEnv): void;
  close(): Promise<void>;
}

export async function sendHarness(subscribers: number, sinkOptions: SmtpSinkOptions = {}, config?: Record<string, unknown>, options: { noSmtp?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<SendHarness> {
  const sink = await startSmtpSink(sinkOptions);
  const project = sendProject({ subscribers, smtpUrl: sink.url, config });
  const envFor = (extra: NodeJS.ProcessEnv = {}) => ({ FINTECHWEEKLY_UNSUBSCRIBE_SECRET: SECRET, ...(options.noSmtp ? {} : { FINTECHWEEKLY_SMTP_URL: sink.url }), ...options.env, ...extra });
  const db = openDb(project.db);
  const harness: SendHarness = {
    sink,
    project,
    settings: loadSettings({ cwd: project.dir, env: envFor() }),
    db,
    events: [],
    dispatchEvents: [],
    prepare: (input = {}, deps = {}) =>
      prepareSend(harness.settings, { ref: ISSUE, ...input }, { store: sqliteCampaignSource(db), now: () => new Date(), onEvent: (e) => harness.events.push(e), ...deps }),
    send: (input = {}, deps = {}) => sendIssue(harness.settings, { ref: ISSUE, ...input }, { store: sqliteCampaignSource(db), now: () => new Date(), onEvent: (e) => harness.events.push(e), ...deps }),
    dispatch: () => dispatch(harness.settings, { env: { PATH: process.env.PATH, HOME: project.dir } }, { store: db, now: () => new Date(), onEvent: (e) => harness.dispatchEvents.push(e) }),
    reload(env) {
      harness.settings = loadSettings({ cwd: project.dir, env: envFor(env) });
    },
    async close() {
      db.close();
      await sink.close();
      project.remove();
    },
  };
  return harness;
}
