import { hostname } from 'node:os';
import type { LockHolder, LockResult } from '../delivery/send-log.js';
import type { Db } from './db.js';

/**
 * Advisory locks in the database, so that two processes never run the same send (or two
 * dispatchers run at once). A lock whose holder process is dead on this host is stale and taken
 * over: a crashed run must not block the next one forever. A holder on another host cannot be
 * checked and is always respected.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Locks this process holds: a row with our own pid is ours only if it is in here. */
const heldHere = new Set<string>();

export function acquireLock(db: Db, name: string, now: Date = new Date()): LockResult {
  const me = { pid: process.pid, host: hostname() };
  return db
    .transaction((): LockResult => {
      const row = db.prepare('SELECT pid, host, acquired_at AS acquiredAt FROM locks WHERE name = ?').get(name) as LockHolder | undefined;
      // Our own pid in a row we did not write means a dead holder whose pid was reused for us.
      const ours = row !== undefined && row.host === me.host && row.pid === me.pid;
      const stale = !row || (row.host === me.host && (ours ? !heldHere.has(name) : !isAlive(row.pid)));
      if (!stale) return { acquired: false, holder: row };
      db.prepare('INSERT OR REPLACE INTO locks (name, pid, host, acquired_at) VALUES (?, ?, ?, ?)').run(name, me.pid, me.host, now.toISOString());
      heldHere.add(name);
      return {
        acquired: true,
        release: () => {
          heldHere.delete(name);
          db.prepare('DELETE FROM locks WHERE name = ? AND pid = ? AND host = ?').run(name, me.pid, me.host);
        },
      };
    })
    .immediate();
}
