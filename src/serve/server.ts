import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { parseUnsubscribeToken, verifyUnsubscribeToken } from '../core/message/token.js';
import { allow, BASE_HEADERS, FORM_PAGE_HEADERS, readBody, send, type Body } from './http.js';
import type { SignupRoutes } from './signup-routes.js';
import { archiveIndexPage, invalidLinkPage, messagePage, unsubscribeConfirmPage, unsubscribedPage, type ArchiveEntry, type PageContext } from './pages.js';

/** What the server needs of the subscriber list. */
export interface SubscriberDirectory {
  /** The address the subscriber with this id has, if there is one. */
  emailOf(subscriberId: number): string | undefined;
  /** Marks the subscriber unsubscribed; doing it twice is harmless. */
  unsubscribe(subscriberId: number): void;
}

export type ServeEvent =
  | { kind: 'request'; method: string; path: string; status: number }
  | { kind: 'unsubscribed'; subscriberId: number }
  | { kind: 'error'; error: unknown };

export interface ServeOptions {
  /** FINTECHWEEKLY_UNSUBSCRIBE_SECRET. */
  secret: string;
  /** Where `build` wrote dist/<slug>/index.html. */
  distDir: string;
  pages: PageContext;
  subscribers: SubscriberDirectory;
  /** The built issues for GET /, newest first; read on every request so a new build shows at once. */
  archiveEntries: () => ArchiveEntry[];
  onEvent?: (event: ServeEvent) => void;
  /** Largest POST body accepted; the one-click body is 26 bytes. */
  maxBodyBytes?: number;
  /** The sign-up form and confirmation links (signup-routes.ts), when the form is on. */
  signup?: SignupRoutes;
}

export const DEFAULT_MAX_BODY_BYTES = 4096;

// A token cannot match any other id's address, so a stand-in address keeps the unknown-id case
// doing the same HMAC work as the wrong-mac case.
const NOBODY = 'nobody@invalid.invalid';

const UNSUBSCRIBE_HEADERS = FORM_PAGE_HEADERS;
const ARCHIVE_HEADERS = { ...BASE_HEADERS, 'Cache-Control': 'public, max-age=300' };

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * The unsubscribe endpoint, the web archive and (with `signup`) the sign-up form. GET never
 * changes anything (mail scanners and link previews fetch every URL in a message); only a POST
 * with List-Unsubscribe=One-Click (RFC 8058, or the confirmation page's button, which posts the
 * same field) unsubscribes.
 */
export function createArchiveServer(options: ServeOptions): Server {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const emit = options.onEvent ?? (() => undefined);
  const { pages } = options;
  const s = pages.strings;

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => emit({ kind: 'request', method, path: rawPath.replace(/^\/(u|confirm)\/.*/, '/$1/[token]'), status: res.statusCode }));
    handle(req, res, method, rawPath).catch((error: unknown) => {
      emit({ kind: 'error', error });
      if (!res.headersSent) send(res, 500, BASE_HEADERS, messagePage(pages, s.errorTitle, s.errorText));
      else res.destroy();
    });
  });
  // Slow or endless requests must not hold a connection for long.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  return server;

  async function handle(req: IncomingMessage, res: ServerResponse, method: string, rawPath: string): Promise<void> {
    if (isTraversal(rawPath)) {
      send(res, 400, BASE_HEADERS, messagePage(pages, s.notFoundTitle, s.notFoundText));
      return;
    }
    if (options.signup && (await options.signup(req, res, method, rawPath))) return;
    const unsubscribe = /^\/u\/([^/]*)$/.exec(rawPath);
    if (unsubscribe) {
      await handleUnsubscribe(req, res, method, unsubscribe[1] ?? '');
      return;
    }
    if (rawPath === '/' || rawPath === '/index.html') {
      if (!allow(res, method, ['GET', 'HEAD'])) return;
      send(res, 200, ARCHIVE_HEADERS, archiveIndexPage(pages, options.archiveEntries()));
      return;
    }
    const issue = /^\/([^/]+)(\/|\/index\.html)?$/.exec(rawPath);
    const slug = issue?.[1];
    const file = slug !== undefined && SLUG.test(slug) ? issuePage(slug) : undefined;
    if (!issue || !file) {
      send(res, 404, BASE_HEADERS, messagePage(pages, s.notFoundTitle, s.notFoundText));
      return;
    }
    if (!allow(res, method, ['GET', 'HEAD'])) return;
    if (issue[2] === undefined) {
      // Relative links in the page need the trailing slash.
      res.writeHead(301, { Location: `/${slug}/` }).end();
      return;
    }
    send(res, 200, ARCHIVE_HEADERS, readFileSync(file));
  }

  function issuePage(slug: string): string | undefined {
    const root = path.resolve(options.distDir);
    const file = path.resolve(root, slug, 'index.html');
    if (path.relative(root, file) !== path.join(slug, 'index.html')) return undefined;
    return existsSync(file) ? file : undefined;
  }

  async function handleUnsubscribe(req: IncomingMessage, res: ServerResponse, method: string, token: string): Promise<void> {
    if (!allow(res, method, ['GET', 'HEAD', 'POST'])) return;
    const body: Body = method === 'POST' ? await readBody(req, maxBody) : { kind: 'complete', text: '' };
    if (body.kind === 'aborted') return;
    if (body.kind === 'too-large') {
      send(res, 413, { ...UNSUBSCRIBE_HEADERS, Connection: 'close' }, messagePage(pages, s.errorTitle, s.badRequestText));
      return;
    }
    const subscriberId = verifiedSubscriber(token);
    if (subscriberId === undefined) {
      send(res, 400, UNSUBSCRIBE_HEADERS, invalidLinkPage(pages));
      return;
    }
    if (method !== 'POST') {
      send(res, 200, UNSUBSCRIBE_HEADERS, unsubscribeConfirmPage(pages));
      return;
    }
    if (!isOneClickBody(req.headers['content-type'] ?? '', body.text)) {
      send(res, 400, UNSUBSCRIBE_HEADERS, messagePage(pages, s.unsubscribeTitle, s.badRequestText));
      return;
    }
    options.subscribers.unsubscribe(subscriberId);
    emit({ kind: 'unsubscribed', subscriberId });
    send(res, 200, UNSUBSCRIBE_HEADERS, unsubscribedPage(pages));
  }

  /** The subscriber id the token was issued for, checked in constant time, or undefined for any bad token. */
  function verifiedSubscriber(token: string): number | undefined {
    const claim = parseUnsubscribeToken(token);
    if (!claim) return undefined;
    const email = options.subscribers.emailOf(claim.subscriberId);
    const valid = verifyUnsubscribeToken(options.secret, token, claim.subscriberId, email ?? NOBODY);
    return valid && email !== undefined ? claim.subscriberId : undefined;
  }
}

/** Dot segments, backslashes and NUL, raw or percent-encoded: nothing outside dist/ is ever named. */
function isTraversal(rawPath: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return true;
  }
  return !decoded.startsWith('/') || /[\\\0]/.test(decoded) || decoded.split('/').some((segment) => segment === '..' || segment === '.');
}

/** RFC 8058: the POST carries List-Unsubscribe=One-Click, form-urlencoded or as a multipart field. */
function isOneClickBody(contentType: string, body: string): boolean {
  if (/^multipart\/form-data/i.test(contentType)) {
    return /name="?List-Unsubscribe"?\s*\r?\n(?:[^\r\n]+\r?\n)*\r?\nOne-Click\r?\n/i.test(body);
  }
  return new URLSearchParams(body.trim()).get('List-Unsubscribe') === 'One-Click';
}
