import { parentPort, Worker, workerData } from 'node:worker_threads';
import type { Settings } from '../config/load.js';
import { openSmtpTransport, type SmtpSettings } from '../delivery/transport.js';
import type { ConfirmationEmail } from '../pipeline/confirmation-email.js';
import { openDb } from '../store/db.js';
import { startSignupMailer, type SignupMailer, type SignupMailEvent } from './signup-mailer.js';
import type { WelcomeCampaign } from './signup-welcome.js';

/**
 * The sign-up mailer in a worker thread of its own, with its own store connection: composing,
 * signing and sending emails, and the commits of their send log, then never hold up the thread
 * that answers the form (and use the machine's second core). From TypeScript sources (the tests)
 * it runs in the calling thread instead, like the MJML compiler.
 */
export interface MailerThreadOptions {
  settings: Settings;
  secret: string;
  confirmation: ConfirmationEmail;
  welcome: WelcomeCampaign | undefined;
  smtp: SmtpSettings;
  connections: number;
  pollMs?: number | undefined;
  onEvent?: ((event: SignupMailEvent) => void) | undefined;
}

type ToWorker = { type: 'notify' } | { type: 'stop' };
type FromWorker = { type: 'event'; event: SignupMailEvent };

/** After the thread died unexpectedly, this long before a new one starts. */
const RESTART_MS = 5_000;

export function startMailerThread(options: MailerThreadOptions): SignupMailer {
  const emit = options.onEvent ?? (() => undefined);
  const data = { settings: options.settings, secret: options.secret, confirmation: options.confirmation, welcome: options.welcome, smtp: options.smtp, connections: options.connections, pollMs: options.pollMs };
  let stopping = false;
  let worker: Worker;
  let exited: Promise<void>;
  const start = () => {
    worker = new Worker(new URL(import.meta.url), { workerData: data });
    worker.on('message', (message: FromWorker) => emit(message.event));
    worker.on('error', (error) => emit({ kind: 'error', error }));
    exited = new Promise((resolve) =>
      worker.once('exit', () => {
        resolve();
        if (!stopping) setTimeout(() => !stopping && start(), RESTART_MS).unref();
      }),
    );
  };
  start();
  const post = (message: ToWorker) => worker.postMessage(message);
  return {
    notify: () => post({ type: 'notify' }),
    async stop() {
      stopping = true;
      post({ type: 'stop' });
      await exited;
    },
  };
}

/** In the worker: the mailer on a connection of its own, until the parent says stop. */
function runInWorker(port: NonNullable<typeof parentPort>): void {
  const options = workerData as Omit<MailerThreadOptions, 'onEvent'>;
  const db = openDb(options.settings.dbPath);
  const mailer: SignupMailer = startSignupMailer({
    settings: options.settings,
    db,
    secret: options.secret,
    confirmation: options.confirmation,
    welcome: options.welcome,
    openTransport: () => openSmtpTransport(options.smtp, options.connections),
    pollMs: options.pollMs,
    onEvent: (event) => port.postMessage({ type: 'event', event: event.kind === 'error' ? { kind: 'error', error: describeError(event.error) } : event } satisfies FromWorker),
  });
  port.on('message', (message: ToWorker) => {
    if (message.type === 'notify') mailer.notify();
    else
      void mailer.stop().finally(() => {
        db.close();
        port.close();
      });
  });
}

/** Errors cross to the parent as plain objects with the message and stack. */
function describeError(error: unknown): unknown {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : error;
}

if (parentPort && (workerData as { smtp?: unknown } | null)?.smtp) runInWorker(parentPort);
