import { mkdtempSync, rmSync } from 'node:fs';
import { request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { createUnsubscribeToken } from '../../src/core/message/token.js';
import { createArchiveServer } from '../../src/serve/server.js';
import { pageStringsSchema } from '../../src/serve/strings.js';
import { openDb, type Db } from '../../src/store/db.js';
import { addSubscriber, getSubscriberById, unsubscribe } from '../../src/store/subscribers.js';
import en from '../../templates/default/pages.en.json' with { type: 'json' };

const SECRET = 'unit-test-secret';
let dir: string;
let db: Db;
let server: Server;
let port: number;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-serve-'));
  db = openDb(path.join(dir, 'fintechweekly.db'));
  server = createArchiveServer({
    secret: SECRET,
    distDir: path.join(dir, 'dist'),
    pages: { config: configSchema.parse({ lang: 'en' }), strings: pageStringsSchema.parse(en) },
    archiveEntries: () => [],
    subscribers: { emailOf: (id) => getSubscriberById(db, id)?.email, unsubscribe: (id) => void unsubscribe(db, id) },
    maxBodyBytes: 1024,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Sends `chunks` one by one with chunked transfer encoding (no Content-Length). */
function post(pathname: string, chunks: string[], contentType = 'application/x-www-form-urlencoded'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: pathname, headers: { 'Content-Type': contentType } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('createArchiveServer', () => {
  it('counts a chunked body as it arrives: over the limit is 413 and nobody is unsubscribed; the server keeps serving', async () => {
    const s = addSubscriber(db, { email: 'reader@example.com' });
    const token = createUnsubscribeToken(SECRET, s.id, s.email);
    const big = await post(`/u/${token}`, ['List-Unsubscribe=One-Click&', ...Array.from({ length: 8 }, () => 'x'.repeat(512))]);
    expect(big.status).toBe(413);
    expect(getSubscriberById(db, s.id)?.status).toBe('active');
    const ok = await post(`/u/${token}`, ['List-Unsub', 'scribe=One-Click']);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('You have been unsubscribed');
    expect(getSubscriberById(db, s.id)?.status).toBe('unsubscribed');
  });

  it('a token for a removed subscriber or signed with another secret is refused like any other', async () => {
    const s = addSubscriber(db, { email: 'reader@example.com' });
    const other = await post(`/u/${createUnsubscribeToken('another-secret', s.id, s.email)}`, ['List-Unsubscribe=One-Click']);
    const removedToken = createUnsubscribeToken(SECRET, s.id + 1, 'gone@example.com');
    const removed = await post(`/u/${removedToken}`, ['List-Unsubscribe=One-Click']);
    expect(other.status).toBe(400);
    expect(removed.status).toBe(400);
    expect(other.body).toBe(removed.body);
    expect(getSubscriberById(db, s.id)?.status).toBe('active');
  });
});
