import type BetterSqlite3 from 'better-sqlite3';
import { createRequire } from 'node:module';

/**
 * better-sqlite3, loaded the cheap way: every command that touches the store pays for this at
 * start-up. `require` skips the ES module loader's scan of a CommonJS package's exports, and naming
 * the addon's file skips the `bindings` package, which walks the call stack and tries a dozen paths.
 */
const require = createRequire(import.meta.url);
const Database = require('better-sqlite3') as typeof BetterSqlite3;
let addon: string | undefined;

export type Sqlite = BetterSqlite3.Database;
export type SqliteStatement = BetterSqlite3.Statement;

export function openSqlite(file: string | Buffer, options: BetterSqlite3.Options = {}): Sqlite {
  addon ??= addonPath();
  return new Database(file, addon ? { ...options, nativeBinding: addon } : options);
}

/** The addon where npm builds or downloads it; '' when it is elsewhere (better-sqlite3 then searches as usual). */
function addonPath(): string | undefined {
  try {
    return require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return '';
  }
}
