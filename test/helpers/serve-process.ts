import type { ChildProcess } from 'node:child_process';

/** `fintechweekly serve --port 0` as a child process, once it says where it listens. */
export interface ServeProcess {
  base: string;
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr. */
  log(): string;
  /** SIGTERM, and its exit code once it has stopped. */
  stop(): Promise<number | null>;
}

export async function startServe(spawnServe: () => ChildProcess): Promise<ServeProcess> {
  const child = spawnServe();
  let output = '';
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const base = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      output += c.toString();
      const match = /serving on (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match) resolve(match[1] as string);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
  return {
    base,
    child,
    log: () => output,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
