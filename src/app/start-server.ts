import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError } from '../core/errors.js';
import { readArchiveEntries } from '../pipeline/archive.js';
import { createArchiveServer, DEFAULT_MAX_BODY_BYTES, type ServeEvent } from '../serve/server.js';
import { createSignupRoutes } from '../serve/signup-routes.js';
import { loadPageStrings } from '../serve/strings.js';
import { openDb } from '../store/db.js';
import { getSubscriberById, unsubscribe } from '../store/subscribers.js';
import type { SignupMailEvent } from './signup-mailer.js';
import { openSignupService } from './signup-service.js';

export interface StartServerInput {
  /** 0 picks a free port. */
  port: number;
  host: string;
}

export interface RunningServer {
  /** The port it listens on (the one picked, for port 0). */
  port: number;
  /** The folder whose built issues it serves. */
  distDir: string;
  /** Whether the sign-up form (/subscribe) is on (config signup.enabled). */
  signup: boolean;
  /** Stops accepting connections, answers the requests in progress, then closes the store. */
  close(): Promise<void>;
}

/**
 * `serve`: the one-click unsubscribe endpoint (/u/TOKEN), the web archive of built issues and,
 * unless signup.enabled is false, the sign-up form with its confirmation mailer,
 * wired to the store, the template's page strings and the dist folder. The store stays open
 * until the server is closed.
 */
export async function startServer(
  settings: Settings,
  input: StartServerInput,
  deps: { onEvent?: (event: ServeEvent) => void; onSignupEvent?: (event: SignupMailEvent) => void },
): Promise<RunningServer> {
  const secret = settings.secrets.unsubscribeSecret;
  if (!secret) {
    throw new FintechWeeklyError('FINTECHWEEKLY_UNSUBSCRIBE_SECRET is not set: serve cannot check unsubscribe links without it', {
      hint: 'Set it to the same value `send` and `dispatch` use (the links in messages already sent were signed with it).',
    });
  }
  const strings = loadPageStrings(settings, settings.config.lang);
  const distDir = path.resolve(settings.root, settings.config.paths.dist);
  const db = openDb(settings.dbPath);
  const pages = { config: settings.config, strings };
  let signup: Awaited<ReturnType<typeof openSignupService>> | undefined;
  try {
    if (settings.config.signup.enabled) signup = await openSignupService({ settings, db, secret, onEvent: deps.onSignupEvent });
  } catch (error) {
    db.close();
    throw error;
  }
  const server = createArchiveServer({
    secret,
    distDir,
    signup: signup && createSignupRoutes({ pages: { ...pages, signup: signup.strings }, desk: signup.desk, trustProxy: settings.config.serve.trustProxy, maxBodyBytes: DEFAULT_MAX_BODY_BYTES }),
    pages,
    archiveEntries: () => readArchiveEntries(distDir),
    subscribers: {
      emailOf: (id) => getSubscriberById(db, id)?.email,
      unsubscribe: (id) => void unsubscribe(db, id),
    },
    onEvent: deps.onEvent,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new FintechWeeklyError(`port ${input.port} on ${input.host} is already in use`, { hint: 'Stop the other server or pick another port with --port.' })
            : error,
        ),
      );
      server.listen(input.port, input.host, resolve);
    });
  } catch (error) {
    await signup?.stop();
    db.close();
    throw error;
  }
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : input.port,
    distDir,
    signup: signup !== undefined,
    // No new connections; the requests in progress are answered (an unsubscribe is never half
    // done); a keep-alive connection is closed as soon as it is idle, and at the latest after 10 s.
    close: () =>
      new Promise<void>((resolve) => {
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const deadline = setTimeout(() => server.closeAllConnections(), 10_000);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          // The mailer finishes and records what it has in flight before the store closes.
          void (signup?.stop() ?? Promise.resolve()).finally(() => {
            db.close();
            resolve();
          });
        });
        server.closeIdleConnections();
      }),
  };
}
