import path from 'node:path';

/**
 * A full disk, a read-only store or a locked database is not a bug: the editor can fix it, and
 * nothing was lost (SQLite rolls back whatever was not committed, build writes dist/ all or
 * nothing, and the send log records what a stopped send managed to send). Every command that writes
 * reports it in one line: what happened, what to fix, that nothing was lost, what to run again.
 *
 * The codes are read here, where the command line is known, rather than wrapped where they are
 * thrown: SQLite's codes (better-sqlite3's SqliteError) and the system's (ENOSPC...) are stable,
 * and every write in every command ends up here.
 */

export interface StorageFailure {
  kind: 'full' | 'read-only' | 'locked';
  /** SQLITE_FULL, ENOSPC, ... */
  code: string;
  /** The file being written, when the system (or the code that wrapped its error) named it; undefined for the store. */
  path: string | undefined;
}

const KINDS: [RegExp, StorageFailure['kind']][] = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT)$/, 'full'],
  [/^(SQLITE_READONLY(_\w+)?|EROFS)$/, 'read-only'],
  [/^(SQLITE_BUSY(_\w+)?|SQLITE_LOCKED(_\w+)?)$/, 'locked'],
];

/** The storage failure behind an error (or behind its causes), if there is one. */
export function storageFailure(error: unknown): StorageFailure | undefined {
  // A wrapper (a FintechWeeklyError naming its file) may carry the file, its cause the code.
  let located: string | undefined;
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, path: file, file: named } = e as { code?: unknown; path?: unknown; file?: unknown };
    located ??= typeof file === 'string' ? file : typeof named === 'string' ? named : undefined;
    if (typeof code !== 'string') continue;
    const kind = KINDS.find(([pattern]) => pattern.test(code))?.[1];
    // SQLite's errors are the store's (it names no file); the system's name one, or their wrapper does.
    if (kind) return { kind, code, path: code.startsWith('SQLITE_') ? undefined : located };
  }
  return undefined;
}

/**
 * The one line. `store` is the database file (SQLite's errors name no file); `then` says how to
 * carry on, e.g. "run `fintechweekly send ISSUE --yes` again".
 */
export function describeStorageFailure(failure: StorageFailure, store: string, then: string): string {
  // A system error names the file being written (often a temporary one): name its folder.
  const where = failure.path ? path.dirname(failure.path) : failure.code.startsWith('SQLITE_') ? store : 'a folder this command writes to';
  if (failure.kind === 'full') return `the disk holding ${where} is full (${failure.code}); nothing was lost: free some space on it, then ${then}.`;
  if (failure.kind === 'read-only') {
    const fix = failure.path ? 'make it writable' : 'make it and its folder writable (or point FINTECHWEEKLY_DB at a writable place)';
    return `${where} is read-only (${failure.code}); nothing was lost: ${fix}, then ${then}.`;
  }
  return `the database ${where} is locked by another program (${failure.code}); nothing was lost: let it finish or close it (a sqlite3 shell, a backup), then ${then}.`;
}

/** The command line as typed, to be run again: `fintechweekly send 2026-11-27-klarna --yes`. */
export function commandLine(args: readonly string[]): string {
  return ['fintechweekly', ...args].map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}
