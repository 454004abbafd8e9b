import { Worker } from 'node:worker_threads';
import type { CompileMjml } from '../core/issue/render-issue.js';
import type { CompileResponse, WorkerRequest } from './mjml-worker.js';

interface MjmlCompiler {
  compile: CompileMjml;
  /** Starts loading MJML now, ahead of the first compile. */
  load(): void;
}

let compiler: MjmlCompiler | undefined;

/**
 * Compiled JavaScript runs MJML in a worker thread; from TypeScript sources (tests) it runs in
 * this thread. Creating the compiler starts the worker's thread, not MJML's loading.
 */
function processCompiler(): MjmlCompiler {
  compiler ??= import.meta.url.endsWith('.ts') ? inThreadCompiler() : workerCompiler();
  return compiler;
}

/** The process's MJML compiler: the first compile loads MJML if warmUpMjml() has not. */
export function mjmlCompiler(): CompileMjml {
  return processCompiler().compile;
}

/**
 * Starts the worker's thread (a Node environment of its own, about a third of `node -e 0`) without
 * loading MJML: main.ts calls it as `build` begins, before the config is read, so that the thread
 * is ready once build knows whether anything needs rendering. The thread keeps no process alive.
 */
export function startMjmlThread(): void {
  processCompiler();
}

/**
 * Starts loading MJML now, for a caller that expects to render (the build command, when an issue
 * changed since its last build), so that the load overlaps with loading and parsing everything else.
 */
export function warmUpMjml(): void {
  processCompiler().load();
}

function inThreadCompiler(): MjmlCompiler {
  let loading: ReturnType<typeof importMjml> | undefined;
  const load = () => (loading ??= importMjml());
  return {
    load: () => void load().catch(() => undefined), // reported with the first compile
    compile: async (mjml, options) => {
      const { default: mjml2html } = await load();
      return mjml2html(mjml, options);
    },
  };
}

const importMjml = () => import('mjml');

function workerCompiler(): MjmlCompiler {
  const worker = new Worker(new URL('./mjml-worker.js', import.meta.url));
  const pending = new Map<number, { resolve: (html: string) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  const settle = () => {
    if (pending.size === 0) worker.unref();
  };
  worker.on('message', (response: CompileResponse) => {
    const request = pending.get(response.id);
    if (!request) return;
    pending.delete(response.id);
    settle();
    if ('html' in response) request.resolve(response.html);
    else request.reject(Object.assign(new Error(response.error.message), { errors: response.error.errors }));
  });
  worker.on('error', (error) => {
    for (const request of pending.values()) request.reject(error);
    pending.clear();
    compiler = undefined;
  });
  // The worker keeps the process alive only while a compile is waiting for it. (After the
  // listeners: adding a 'message' listener refs the worker again.)
  worker.unref();
  const send = (request: WorkerRequest) => worker.postMessage(request);
  return {
    load: () => send({ kind: 'load' }),
    compile: (mjml, options) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: (html) => resolve({ html }), reject });
        worker.ref();
        send({ kind: 'compile', id, mjml, options });
      }),
  };
}
