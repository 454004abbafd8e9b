/**
 * A full disk for SQLite, for end-to-end tests: preloaded into a CLI process with
 *   NODE_OPTIONS="--import /path/to/sqlite-page-limit.mjs" FW_TEST_SQLITE_GROWTH_PAGES=N
 * every database connection the process opens may grow by at most N pages (of 4 KB) past the size
 * it had when opened (PRAGMA max_page_count); beyond that SQLite itself reports SQLITE_FULL, as it
 * does when the disk is full. Nothing else about the connection changes.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Database = require('better-sqlite3');
const growth = Number(process.env.FW_TEST_SQLITE_GROWTH_PAGES ?? 'NaN');
const limited = new WeakSet();

if (Number.isInteger(growth) && growth >= 0) {
  for (const method of ['pragma', 'prepare', 'exec', 'transaction']) {
    const original = Database.prototype[method];
    Database.prototype[method] = function (...args) {
      if (!limited.has(this)) {
        limited.add(this);
        const size = this.prepare('PRAGMA page_count').pluck().get();
        this.prepare(`PRAGMA max_page_count = ${size + growth}`).get();
      }
      return original.apply(this, args);
    };
  }
}
