/**
 * What one SMTP attempt means for the send log. The engine acts on the kind:
 * - sent: the server answered 250 to the message.
 * - deferred: a 4xx reply, or the connection failed before DATA began: safe to try again later.
 * - failed: a 5xx reply: permanent, never retried.
 * - unknown: the connection was lost after DATA began and before the final reply: the server may
 *   have accepted the message, so it is not resent unless the editor asks (--retry-unknown).
 * - abort: nothing can succeed until someone fixes the setup (login refused, TLS broken, server
 *   unreachable): the run stops.
 * - cancelled: the run was stopped before the transaction reached DATA: the server has none of the
 *   message, so it is as if it had not been tried.
 */
export type OutcomeKind = 'sent' | 'deferred' | 'failed' | 'unknown' | 'abort' | 'cancelled';

export interface SmtpOutcome {
  kind: OutcomeKind;
  /** The SMTP reply code, when the server gave one. */
  code: number | undefined;
  /** The server's reply, or what went wrong locally. */
  reply: string;
  /** For `abort`: what the editor has to fix. */
  fix?: 'login' | 'tls' | 'server';
}

/** The fields nodemailer's smtp-connection puts on its errors (see _formatError there). */
export interface SmtpErrorLike {
  message?: string;
  /** ECONNECTION, ESOCKET, ETIMEDOUT, ETLS, EAUTH, EDNS, EENVELOPE, EMESSAGE, EPROTOCOL, ... */
  code?: string;
  /** The system error underneath, e.g. ECONNREFUSED, when nodemailer replaced it with its own code. */
  originalCode?: string;
  responseCode?: number;
  response?: string;
  /** The SMTP command the error belongs to: CONN, AUTH PLAIN, MAIL FROM, RCPT TO, DATA, API, ... */
  command?: string;
}

/** Login refused or required: retrying with the same credentials cannot help. */
const AUTH_CODES = new Set([530, 534, 535, 538]);
/** The server cannot be reached at all. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EADDRNOTAVAIL']);
/** Certificate problems from node:tls (they arrive under ESOCKET or ETLS). */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|ERR_OSSL)/;

export function smtpSuccess(reply: string): SmtpOutcome {
  return { kind: 'sent', code: Number(/^\d{3}/.exec(reply)?.[0] ?? 250), reply: reply.trim() };
}

/**
 * Where an attempt was when it failed: opening the connection (greeting, EHLO, STARTTLS, login),
 * or in a message transaction before or after the server accepted DATA (354). Only after DATA can a
 * lost connection mean "maybe delivered".
 */
export type SmtpStage = 'connect' | 'envelope' | 'data';

export function classifySmtpError(error: SmtpErrorLike, stage: SmtpStage): SmtpOutcome {
  const code = error.responseCode;
  const reply = (error.response ?? error.message ?? 'unknown error').trim();
  const underlying = error.originalCode ?? '';
  if (error.code === 'EAUTH' || (code !== undefined && AUTH_CODES.has(code))) {
    return { kind: 'abort', code, reply: `the SMTP server refused the login: ${reply}`, fix: 'login' };
  }
  if (error.code === 'ETLS' || TLS_CODE.test(underlying) || TLS_CODE.test(error.code ?? '')) {
    return { kind: 'abort', code, reply: `TLS with the SMTP server failed: ${reply}`, fix: 'tls' };
  }
  if (error.code === 'EDNS' || UNREACHABLE.has(underlying) || UNREACHABLE.has(error.code ?? '')) {
    return { kind: 'abort', code, reply: `cannot reach the SMTP server: ${reply}`, fix: 'server' };
  }
  if (code !== undefined) {
    if (code >= 500) {
      // Refused before any transaction (greeting, EHLO): the server will refuse every message.
      return stage === 'connect' ? { kind: 'abort', code, reply: `the SMTP server refused the session: ${reply}`, fix: 'server' } : { kind: 'failed', code, reply };
    }
    if (code >= 400) return { kind: 'deferred', code, reply };
  }
  // Our own mistakes with one message (an address the client itself rejects, a message too big).
  if (error.code === 'EENVELOPE' || error.code === 'EMESSAGE') return { kind: 'failed', code, reply };
  return { kind: stage === 'data' ? 'unknown' : 'deferred', code, reply };
}
