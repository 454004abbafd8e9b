import { describe, expect, it } from 'vitest';
import { classifySmtpError, smtpSuccess } from '../../src/core/smtp-reply.js';

describe('classifySmtpError', () => {
  it.each([
    ['250 after DATA', null, 'data', 'sent'],
    ['451 on RCPT', { code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 try later', command: 'RCPT TO' }, 'envelope', 'deferred'],
    ['421 on DATA end', { code: 'EMESSAGE', responseCode: 421, response: '421 closing', command: 'DATA' }, 'data', 'deferred'],
    ['550 on RCPT', { code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user', command: 'RCPT TO' }, 'envelope', 'failed'],
    ['554 after DATA', { code: 'EMESSAGE', responseCode: 554, response: '554 spam', command: 'DATA' }, 'data', 'failed'],
    ['535 login', { code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials', command: 'AUTH PLAIN' }, 'connect', 'abort'],
    ['530 on MAIL FROM', { code: 'EENVELOPE', responseCode: 530, response: '530 authentication required', command: 'MAIL FROM' }, 'envelope', 'abort'],
    ['STARTTLS failure', { code: 'ETLS', message: 'Error upgrading connection with STARTTLS', command: 'STARTTLS' }, 'connect', 'abort'],
    ['bad certificate', { code: 'ESOCKET', originalCode: 'DEPTH_ZERO_SELF_SIGNED_CERT', message: 'self-signed certificate', command: 'CONN' }, 'connect', 'abort'],
    ['connection refused', { code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:2525', command: 'CONN' }, 'connect', 'abort'],
    ['no such host', { code: 'EDNS', originalCode: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND smtp.nowhere.example', command: 'CONN' }, 'connect', 'abort'],
    ['554 greeting', { code: 'EPROTOCOL', responseCode: 554, response: '554 no service', command: 'CONN' }, 'connect', 'abort'],
    ['421 greeting', { code: 'EPROTOCOL', responseCode: 421, response: '421 too many connections', command: 'CONN' }, 'connect', 'deferred'],
    ['reset before DATA', { code: 'ECONNECTION', message: 'Connection closed unexpectedly', command: 'CONN' }, 'envelope', 'deferred'],
    ['reset after DATA', { code: 'ECONNECTION', message: 'Connection closed unexpectedly', command: 'CONN' }, 'data', 'unknown'],
    ['timeout after DATA', { code: 'ETIMEDOUT', message: 'Timeout', command: 'CONN' }, 'data', 'unknown'],
    ['timeout while connecting', { code: 'ETIMEDOUT', message: 'Timeout', command: 'CONN' }, 'connect', 'deferred'],
  ] as const)('%s -> %s', (_name, error, stage, kind) => {
    const outcome = error ? classifySmtpError(error, stage) : smtpSuccess('250 2.0.0 queued as ABC');
    expect(outcome.kind).toBe(kind);
  });

  it('keeps the server reply for the send log and says what to fix on abort', () => {
    expect(classifySmtpError({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 no such user' }, 'envelope')).toEqual({ kind: 'failed', code: 550, reply: '550 5.1.1 no such user' });
    expect(classifySmtpError({ code: 'EAUTH', responseCode: 535, response: '535 nope' }, 'connect')).toMatchObject({ kind: 'abort', fix: 'login' });
    expect(smtpSuccess('250 2.0.0 queued\r\n')).toEqual({ kind: 'sent', code: 250, reply: '250 2.0.0 queued' });
  });
});
