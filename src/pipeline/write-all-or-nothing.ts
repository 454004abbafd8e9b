import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes every file to a temporary name first, then renames them into place: a failure leaves the
 * previous files intact, and readers (serve, a static host syncing dist/) never see half a file.
 * Files are renamed in the order given, so the one that marks the set complete goes last.
 */
export function writeAllOrNothing(dir: string, files: [path: string, content: string][]): void {
  mkdirSync(dir, { recursive: true });
  const suffix = `.tmp-${process.pid}-${Date.now()}`;
  let writing = dir;
  try {
    for (const [target, content] of files) {
      writing = target;
      writeFileSync(target + suffix, content);
    }
  } catch (error) {
    for (const [target] of files) rmSync(target + suffix, { force: true });
    // A failed write() names no file, unlike a failed open(): a full disk (ENOSPC) should say where.
    const failure = error as NodeJS.ErrnoException;
    failure.path ??= writing;
    throw failure;
  }
  for (const [target] of files) renameSync(target + suffix, target);
}
