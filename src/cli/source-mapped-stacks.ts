import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces name TypeScript lines although the CLI runs as a bundle (lib/bundle, made by
 * scripts/bundle.mjs). Node's own source map support (--enable-source-maps or
 * process.setSourceMapsEnabled) reads and parses the map of every module as it loads, which cost
 * `--help` and `subscribers list` about a third of their start (BENCHMARKS.md, "Start-up"); here a
 * map is read only when a stack that passes through its file is printed.
 *
 * main.ts imports this module first, which installs the formatter for the main thread, where all of
 * fintechweekly's own code runs (the MJML worker only hands MJML to mjml2html and reports its
 * errors by message). Files without a `.map` beside them (Node's own, node_modules) keep their
 * positions.
 */

const maps = new Map<string, { map: SourceMap; dir: string } | null>();

function sourceMapOf(file: string): { map: SourceMap; dir: string } | null {
  let entry = maps.get(file);
  if (entry === undefined) {
    entry = null;
    try {
      if (existsSync(`${file}.map`)) entry = { map: new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))), dir: path.dirname(file) };
    } catch {
      // An unreadable map leaves the frame as it is: the stack must never fail to print.
    }
    maps.set(file, entry);
  }
  return entry;
}

function describeFrame(frame: NodeJS.CallSite): string {
  const text = String(frame);
  const name = frame.getFileName();
  const line = frame.getLineNumber();
  const column = frame.getColumnNumber();
  if (!name || line === null || column === null || !/^(file:|\/)/.test(name)) return text;
  const file = name.startsWith('file:') ? fileURLToPath(name) : name;
  const source = sourceMapOf(file);
  if (!source) return text;
  const found = source.map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (found.originalSource === undefined || found.originalLine === undefined || found.originalColumn === undefined) return text;
  const original = path.resolve(source.dir, found.originalSource.startsWith('file:') ? fileURLToPath(found.originalSource) : found.originalSource);
  return text.replace(`${name}:${line}:${column}`, `${original}:${found.originalLine + 1}:${found.originalColumn + 1}`);
}

// The format is Node's own (error.toString(), then one "    at" line per frame).
Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => {
  let head: string;
  try {
    head = Error.prototype.toString.call(error);
  } catch {
    head = '<error>';
  }
  return frames.length === 0 ? head : `${head}\n    at ${frames.map(describeFrame).join('\n    at ')}`;
};
