import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

/** fintechweekly's own version (part of the build cache key: a new release renders afresh). */
export function packageVersion(): string {
  if (version !== undefined) return version;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fintechweekly') return (version = pkg.version ?? '0.0.0');
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (version = '0.0.0');
    dir = parent;
  }
}
