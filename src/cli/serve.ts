import { constants } from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { FintechWeeklyError, UsageError } from '../core/errors.js';
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
    .description('Serve the one-click unsubscribe endpoint (/u/TOKEN) and the web archive of built issues')
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
      const { createArchiveServer } = await import('../serve/server.js');
      const { loadPageStrings } = await import('../serve/strings.js');
      const { readArchiveEntries } = await import('../pipeline/archive.js');
      const { openDb } = await import('../store/db.js');
      const { getSubscriberById, unsubscribe } = await import('../store/subscribers.js');
      const strings = loadPageStrings(project, project.config.lang);
      const distDir = path.resolve(project.root, project.config.paths.dist);
      const db = openDb(project.dbPath);
      const server = createArchiveServer({
        secret,
        distDir,
        pages: { config: project.config, strings },
        archiveEntries: () => readArchiveEntries(distDir),
        subscribers: {
          emailOf: (id) => getSubscriberById(db, id)?.email,
          unsubscribe: (id) => void unsubscribe(db, id),
        },
        onEvent: (event) => {
          if (event.kind === 'request') out.info(`${event.method} ${event.path} ${event.status}`);
          else if (event.kind === 'unsubscribed') out.info(`unsubscribed subscriber #${event.subscriberId}`);
          else {
            const failure = storageFailure(event.error);
            const text = failure
              ? describeStorageFailure(failure, project.dbPath, 'the reader, who saw an error page, can try again')
              : event.error instanceof Error
                ? (event.error.stack ?? event.error.message)
                : String(event.error);
            process.stderr.write(`${new Date().toISOString()} error: ${text}\n`);
          }
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
      });
      const address = server.address();
      const actual = typeof address === 'object' && address ? address.port : port;
      out.info(`serving on http://${flags.host}:${actual}/ (archive of ${path.relative(process.cwd(), distDir) || '.'}/, unsubscribe links /u/TOKEN; public URL ${project.config.publicUrl})`);
      // SIGINT or SIGTERM: no new connections, the requests in progress are answered (an unsubscribe
      // is never half done), then the process ends with 0. A second signal ends it at once.
      const stop = () => {
        out.info('stopping: answering the requests in progress');
        // A keep-alive connection is closed as soon as it is idle, and at the latest after a while.
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          db.close();
        });
        server.closeIdleConnections();
      };
      let stopping = false;
      const onSignal = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(128 + constants.signals[signal]);
        stopping = true;
        stop();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
}
