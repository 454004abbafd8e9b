import type { IncomingMessage, ServerResponse } from 'node:http';

/** What every route of `serve` shares: headers, method checks, bounded bodies. */

export const BASE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
  // Unsubscribe and confirmation URLs carry a token: never leak one to another site.
  'Referrer-Policy': 'no-referrer',
};

/** Pages with a form or a token: never cached, never framed, forms post only to this server. */
export const FORM_PAGE_HEADERS = {
  ...BASE_HEADERS,
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
};

export function allow(res: ServerResponse, method: string, methods: string[]): boolean {
  if (methods.includes(method)) return true;
  res.writeHead(405, { ...BASE_HEADERS, Allow: methods.join(', ') }).end('<!doctype html><title>405</title><p>Method not allowed.</p>\n');
  return false;
}

export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) }).end(body);
}

export type Body = { kind: 'complete'; text: string } | { kind: 'too-large' } | { kind: 'aborted' };

/** The body, or 'too-large' as soon as it passes `limit` (the rest is read and dropped), or 'aborted' when the client went away. */
export function readBody(req: IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      resolve({ kind: 'too-large' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        resolve({ kind: 'too-large' });
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(size > limit ? { kind: 'too-large' } : { kind: 'complete', text: Buffer.concat(chunks).toString('utf8') }));
    // Settles nothing when the body already ended or overflowed: a promise resolves once.
    req.on('close', () => resolve({ kind: 'aborted' }));
    req.on('error', reject);
  });
}
