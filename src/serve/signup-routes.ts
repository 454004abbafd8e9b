import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SignupDesk } from '../app/signup-desk.js';
import { normalizeEmail, normalizeName } from '../core/message/address.js';
import { SUBSCRIBE_PATH } from '../core/message/placeholders.js';
import { allow, FORM_PAGE_HEADERS, readBody, send } from './http.js';
import { messagePage } from './pages.js';
import { clientAddress } from './signup-client-ip.js';
import { checkInboxPage, confirmedPage, confirmLinkProblemPage, confirmQuestionPage, FIELDS, signupFormPage, type LinkProblem, type SignupPageContext } from './signup-pages.js';

/**
 * GET /subscribe (the form), POST /subscribe (always the same "check your inbox" page),
 * GET /confirm/TOKEN (a question and a button, nothing changes), POST /confirm/TOKEN (confirms).
 */
export interface SignupRoutesOptions {
  pages: SignupPageContext;
  desk: SignupDesk;
  trustProxy: boolean | number;
  maxBodyBytes: number;
}

/** Answers the request and returns true when it is one of the sign-up routes. */
export type SignupRoutes = (req: IncomingMessage, res: ServerResponse, method: string, rawPath: string) => Promise<boolean>;

const PROBLEM_STATUS: Record<LinkProblem, number> = { invalid: 400, expired: 410, used: 409 };
const MAX_SOURCE_LENGTH = 500;
const CONFIRM = /^\/confirm\/([^/]*)$/;

export function createSignupRoutes(options: SignupRoutesOptions): SignupRoutes {
  const { pages, desk } = options;
  // Built once: the neutral answer is the same bytes for every submission.
  const checkInbox = checkInboxPage(pages);
  const form = signupFormPage(pages);

  return async (req, res, method, rawPath) => {
    if (rawPath === SUBSCRIBE_PATH) {
      await subscribe(req, res, method);
      return true;
    }
    const confirm = CONFIRM.exec(rawPath);
    if (confirm) {
      await confirmation(req, res, method, confirm[1] ?? '');
      return true;
    }
    return false;
  };

  async function subscribe(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (!allow(res, method, ['GET', 'HEAD', 'POST'])) return;
    if (method !== 'POST') {
      send(res, 200, FORM_PAGE_HEADERS, form);
      return;
    }
    const fields = await readForm(req, res);
    if (!fields) return;
    const honeypot = fields.get(FIELDS.honeypot) ?? '';
    const rawEmail = fields.get(FIELDS.email) ?? '';
    const rawName = fields.get(FIELDS.name) ?? '';
    const client = clientAddress(req, options.trustProxy);
    const input = { email: rawEmail, name: rawName, honeypot, sourcePage: sourcePage(fields.get(FIELDS.source) ?? undefined, req.headers.referer), ip: client.ip, rateKey: client.rateKey };
    // A bot that filled the honeypot is told what a person is told; nothing is checked or kept.
    if (honeypot.trim() === '') {
      // Only the address's form is checked here, never whether it is on the list.
      const error = !normalizeEmail(rawEmail).ok ? pages.signup.invalidEmail : !normalizeName(rawName).ok ? pages.signup.invalidName : undefined;
      if (error) {
        send(res, 400, FORM_PAGE_HEADERS, signupFormPage(pages, { email: rawEmail.slice(0, 254), name: rawName.slice(0, 100), error }));
        return;
      }
    }
    await desk.submit(input);
    send(res, 200, FORM_PAGE_HEADERS, checkInbox);
  }

  async function confirmation(req: IncomingMessage, res: ServerResponse, method: string, token: string): Promise<void> {
    if (!allow(res, method, ['GET', 'HEAD', 'POST'])) return;
    if (method !== 'POST') {
      const view = await desk.inspect(token);
      if (view.kind === 'ready') send(res, 200, FORM_PAGE_HEADERS, confirmQuestionPage(pages, view.email));
      else send(res, PROBLEM_STATUS[view.kind], FORM_PAGE_HEADERS, confirmLinkProblemPage(pages, view.kind));
      return;
    }
    const fields = await readForm(req, res);
    if (!fields) return;
    if (fields.get(FIELDS.confirm) !== 'yes') {
      // Not the page's button (an empty POST from a scanner): ask again, change nothing.
      const view = await desk.inspect(token);
      if (view.kind === 'ready') send(res, 400, FORM_PAGE_HEADERS, confirmQuestionPage(pages, view.email));
      else send(res, PROBLEM_STATUS[view.kind], FORM_PAGE_HEADERS, confirmLinkProblemPage(pages, view.kind));
      return;
    }
    const outcome = await desk.confirm(token);
    if (outcome.kind === 'confirmed') send(res, 200, FORM_PAGE_HEADERS, confirmedPage(pages));
    else send(res, PROBLEM_STATUS[outcome.kind], FORM_PAGE_HEADERS, confirmLinkProblemPage(pages, outcome.kind));
  }

  /** The urlencoded fields of a bounded body, or undefined after answering 413/415 (or when the client left). */
  async function readForm(req: IncomingMessage, res: ServerResponse): Promise<URLSearchParams | undefined> {
    const body = await readBody(req, options.maxBodyBytes);
    if (body.kind === 'aborted') return undefined;
    if (body.kind === 'too-large') {
      send(res, 413, { ...FORM_PAGE_HEADERS, Connection: 'close' }, messagePage(pages, pages.strings.errorTitle, pages.strings.errorText));
      return undefined;
    }
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      send(res, 415, FORM_PAGE_HEADERS, messagePage(pages, pages.strings.errorTitle, pages.strings.errorText));
      return undefined;
    }
    return new URLSearchParams(body.text);
  }
}

/**
 * The page the form was on, for the consent record: the form's own `source` field (our form and
 * the website snippet set it), else the Referer, as an http(s) URL without query or fragment.
 */
function sourcePage(field: string | undefined, referer: string | undefined): string {
  for (const candidate of [field, referer]) {
    if (!candidate || candidate.length > MAX_SOURCE_LENGTH) continue;
    try {
      const url = new URL(candidate);
      if ((url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password) return `${url.origin}${url.pathname}`;
    } catch {
      // not a URL: try the next one
    }
  }
  return 'unknown';
}
