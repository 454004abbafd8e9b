import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertBuilt, bin, repo } from '../helpers/run-cli.js';

/** A temporary copy of this project's editor-facing folders, in which the built CLI runs. */
export const KLARNA = '2026-11-27-klarna-phk-ai-resesi';

export interface TempProject {
  dir: string;
  write(relative: string, content: string | Uint8Array): string;
  remove(): void;
}

export function tempProject(options: { sampleIssue?: boolean } = {}): TempProject {
  assertBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-build-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  cpSync(path.join(repo, 'fintechweekly.config.yaml'), path.join(dir, 'fintechweekly.config.yaml'));
  mkdirSync(path.join(dir, 'issues'));
  if (options.sampleIssue ?? true) cpSync(path.join(repo, 'issues', `${KLARNA}.md`), path.join(dir, 'issues', `${KLARNA}.md`));
  return {
    dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts a long-running command (preview); resolves with the child once a stdout line matches. */
export function startCli(cwd: string, args: string[], ready: RegExp): Promise<{ child: ReturnType<typeof spawn>; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH, HOME: cwd, NO_COLOR: '1' } });
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = stdout.match(ready);
      if (match) resolve({ child, match });
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`exited with ${code} before it was ready:\n${stdout}\n${stderr}`)));
  });
}
