import { constants } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { settings } from './context.js';
import { createOutput } from './output.js';
import { describeStorageFailure, storageFailure } from './storage-failure.js';

interface ServeFlags {
  port?: string;
  host: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the one-click unsubscribe endpoint (/u/TOKEN), the sign-up form (/subscribe) and the web archive of built issues')
    .option('--port <n>', 'port to listen on (default: serve.port from the config, 8080; 0 picks a free one)')
    .option('--host <address>', 'address to listen on; keep 127.0.0.1 behind a reverse proxy', '127.0.0.1')
    .action(async (flags: ServeFlags) => {
      const out = createOutput();
      const project = settings();
      const port = flags.port === undefined ? project.config.serve.port : Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, not "${flags.port}"`);
      const logError = (text: string) => process.stderr.write(`${new Date().toISOString()} error: ${text}\n`);
      const { startServer } = await import('../app/start-server.js');
      const server = await startServer(project, { port, host: flags.host }, {
        onEvent: (event) => {
          if (event.kind === 'request') out.info(`${event.method} ${event.path} ${event.status}`);
          else if (event.kind === 'unsubscribed') out.info(`unsubscribed subscriber #${event.subscriberId}`);
          else {
            const failure = storageFailure(event.error);
            logError(failure ? describeStorageFailure(failure, project.dbPath, 'the reader, who saw an error page, can try again') : describeError(event.error));
          }
        },
        onSignupEvent: (event) => {
          if (event.kind === 'confirmation') out.info(`confirmation email of sign-up #${event.signupId}: ${event.state} (${event.reply})`);
          else if (event.kind === 'welcome') out.info(`welcome email to subscriber #${event.subscriberId ?? '?'}: ${event.state} (${event.reply})`);
          else if (event.kind === 'smtp-unavailable') out.warn(`sign-up emails wait: ${event.reply}; trying again in ${event.retryInSeconds} s`);
          else if (event.kind === 'recovered') out.warn(`${event.confirmations + event.welcome} sign-up email(s) were being sent when serve last stopped: marked unknown, not sent again`);
          else logError(describeError(event.error));
        },
      });
      out.info(
        `serving on http://${flags.host}:${server.port}/ (archive of ${path.relative(process.cwd(), server.distDir) || '.'}/, unsubscribe links /u/TOKEN${server.signup ? ', sign-up form /subscribe' : ''}; public URL ${project.config.publicUrl})`,
      );
      // SIGINT or SIGTERM: the requests in progress are answered and the sign-up mailer records what
      // it has in flight, then the process ends with 0. A second signal ends it at once.
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(128 + constants.signals[signal]);
        stopping = true;
        out.info('stopping: answering the requests in progress');
        void server.close();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
}

/** An error's stack, also for one that crossed from the sign-up mailer's thread as a plain object. */
function describeError(error: unknown): string {
  const { stack, message } = (typeof error === 'object' && error !== null ? error : {}) as { stack?: unknown; message?: unknown };
  return typeof stack === 'string' ? stack : typeof message === 'string' ? message : String(error);
}
