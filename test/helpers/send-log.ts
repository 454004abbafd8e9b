import { openDb } from '../../src/store/db.js';

/**
 * A send log as the send engine leaves it, written straight into a store: a campaign still
 * 'sending' with one delivery in each state an editor looks at (two sent).
 */
export function recordSend(dbFile: string, slug: string, issuePath: string): void {
  const db = openDb(dbFile);
  const at = '2026-12-01T01:00:00.000Z';
  const { lastInsertRowid } = db
    .prepare("INSERT INTO campaigns (slug, issue_path, subject, status, created_at, updated_at, started_at) VALUES (?, ?, 'Klarna IPO', 'sending', ?, ?, ?)")
    .run(slug, issuePath, at, at, at);
  const insert = db.prepare('INSERT INTO deliveries (campaign_id, email, state, attempts, message_id, last_code, last_reply, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const rows: [string, string, number, number | null, string | null][] = [
    ['a@example.com', 'sent', 1, 250, '250 2.0.0 OK'],
    ['b@example.com', 'sent', 1, 250, '250 2.0.0 OK'],
    ['c@example.com', 'failed', 1, 550, '550 5.1.1 mailbox unavailable'],
    ['d@example.com', 'unknown', 1, null, null],
    ['e@example.com', 'deferred', 2, 451, '451 4.7.1 greylisted'],
    ['f@example.com', 'pending', 0, null, null],
  ];
  for (const [email, state, attempts, code, reply] of rows) insert.run(lastInsertRowid, email, state, attempts, `<${email}>`, code, reply, at, at);
  db.close();
}
