import { createWriteStream, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FintechWeeklyError } from '../core/errors.js';

/**
 * Streams text chunks (a CSV export, a long list) to stdout or to a file. A file is written under
 * a temporary name and renamed when complete, so an interrupted export never leaves a truncated
 * file under the name the editor asked for. A closed stdout (`| head`) ends the output quietly.
 */
export async function writeChunks(chunks: Iterable<string>, file?: string): Promise<void> {
  const source = Readable.from(batches(chunks));
  if (!file) {
    try {
      await pipeline(source, process.stdout, { end: false });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    }
    return;
  }
  const target = path.resolve(file);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    await pipeline(source, createWriteStream(temporary, { flush: true }));
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOSPC') {
      throw new FintechWeeklyError(`cannot write ${file}: ${(error as Error).message}`, { file, cause: error, hint: 'Check that the folder exists and is writable.' });
    }
    throw error;
  }
}

// One write per ~64 KB rather than per row.
function* batches(chunks: Iterable<string>): Generator<string> {
  let buffer = '';
  for (const chunk of chunks) {
    buffer += chunk;
    if (buffer.length >= 65_536) {
      yield buffer;
      buffer = '';
    }
  }
  if (buffer) yield buffer;
}
