import path from 'node:path';
import type { Command } from 'commander';
import { FintechWeeklyError, UsageError } from '../core/errors.js';
import { settings } from './context.js';
import { createOutput, type Output } from './output.js';
import type { Settings } from '../config/load.js';
import type { Db } from '../store/db.js';
import type { PageContext } from '../serve/pages.js';

interface ServeFlags {
  port?: string;
  host: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the one-click unsubscribe endpoint (/u/TOKEN), the sign-up form (/subscribe, /confirm/TOKEN) and the web archive of built issues')
    .option('--port <n>', 'port to listen on (default: serve.port from the config, 8080; 0 picks a free one)')
    .option('--host <address>', 'address to listen on; keep 127.0.0.1 behind a reverse proxy', '127.0.0.1')
    .action(async (flags: ServeFlags) => {
      const out = createOutput();
      const project = settings();
      const port = flags.port === undefined ? project.config.serve.port : Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${flags.port}"`);
      const secret = project.secrets.unsubscribeSecret;
      if (!secret) {
        throw new FintechWeeklyError('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: serve cannot check unsubscribe links without it', {
          hint: 'Set it to the same value `send` and `dispatch` use (the links in messages already sent were signed with it).',
        });
      }
      const { createArchiveServer, DEFAULT_MAX_BODY_BYTES } = await import('../serve/server.js');
      const { loadPageStrings } = await import('../serve/strings.js');
      const { readArchiveEntries } = await import('../pipeline/archive.js');
      const { openDb } = await import('../store/db.js');
      const { getSubscriberById, unsubscribe } = await import('../store/subscribers.js');
      const strings = loadPageStrings(project, project.config.lang);
      const distDir = path.resolve(project.root, project.config.paths.dist);
      const db = openDb(project.dbPath);
      const signup = project.config.signup.enabled ? await startSignup(project, db, secret, out) : undefined;
      const server = createArchiveServer({
        secret,
        distDir,
        signup: signup?.routes({ config: project.config, strings }, DEFAULT_MAX_BODY_BYTES),
        pages: { config: project.config, strings },
        archiveEntries: () => readArchiveEntries(distDir),
        subscribers: {
          emailOf: (id) => getSubscriberById(db, id)?.email,
          unsubscribe: (id) => void unsubscribe(db, id),
        },
        onEvent: (event) => {
          if (event.kind === 'request') out.info(`${event.method} ${event.path} ${event.status}`);
          else if (event.kind === 'unsubscribed') out.info(`unsubscribed subscriber #${event.subscriberId}`);
          else process.stderr.write(`${new Date().toISOString()} error: ${event.error instanceof Error ? (event.error.stack ?? event.error.message) : String(event.error)}\n`);
        },
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', (error: NodeJS.ErrnoException) =>
          reject(
            error.code === 'EADDRINUSE'
              ? new FintechWeeklyError(`port ${port} on ${flags.host} is already in use`, { hint: 'Stop the other server or pick another port with --port.' })
              : error,
          ),
        );
        server.listen(port, flags.host, resolve);
      }).catch(async (error: unknown) => {
        await signup?.stop();
        db.close();
        throw error;
      });
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      out.info(`serving on http://${flags.host}:${actual}/ (archive of ${path.relative(process.cwd(), distDir) || '.'}/, unsubscribe links /u/TOKEN${signup ? ', sign-up form /subscribe' : ''}; public URL ${project.config.publicUrl})`);
      const stop = () => {
        out.info('stopping');
        server.close(() => void (signup?.stop() ?? Promise.resolve()).finally(() => db.close()));
        server.closeAllConnections();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** The sign-up form's service and its log lines; the routes are made once the server's page context is known. */
async function startSignup(project: Settings, db: Db, secret: string, out: Output) {
  const { openSignupService } = await import('../app/signup-service.js');
  const { createSignupRoutes } = await import('../serve/signup-routes.js');
  const service = await openSignupService({
    settings: project,
    db,
    secret,
    onEvent: (event) => {
      if (event.kind === 'confirmation') out.info(`confirmation email of sign-up #${event.signupId}: ${event.state} (${event.reply})`);
      else if (event.kind === 'welcome') out.info(`welcome email to subscriber #${event.subscriberId ?? '?'}: ${event.state} (${event.reply})`);
      else if (event.kind === 'smtp-unavailable') out.warn(`sign-up emails wait: ${event.reply}; trying again in ${event.retryInSeconds} s`);
      else if (event.kind === 'recovered') out.warn(`${event.confirmations + event.welcome} sign-up email(s) were being sent when serve last stopped: marked unknown, not sent again`);
      else process.stderr.write(`${new Date().toISOString()} error: ${describeError(event.error)}\n`);
    },
  });
  return {
    routes: (pages: PageContext, maxBodyBytes: number) => createSignupRoutes({ pages: { ...pages, signup: service.strings }, desk: service.desk, trustProxy: project.config.serve.trustProxy, maxBodyBytes }),
    stop: service.stop,
  };
}

/** An error's stack, also for one that crossed from the mailer's thread as a plain object. */
function describeError(error: unknown): string {
  const { stack, message } = (typeof error === 'object' && error !== null ? error : {}) as { stack?: unknown; message?: unknown };
  return typeof stack === 'string' ? stack : typeof message === 'string' ? message : String(error);
}
