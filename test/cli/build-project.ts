import { spawn } from 'node:child_process';
import { assertBuilt, bin } from '../helpers/run-cli.js';
import { KLARNA, tempProject as copyProject, type TempProject } from '../helpers/temp-project.js';

export { KLARNA, type TempProject };

/** A temporary copy of this project's editor-facing folders, in which the built CLI runs. */
export function tempProject(options: { sampleIssue?: boolean } = {}): TempProject {
  assertBuilt();
  return copyProject(options);
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
