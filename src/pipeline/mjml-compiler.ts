import { Worker } from 'node:worker_threads';
import type { CompileMjml } from '../core/issue/render-issue.js';
import type { CompileResponse } from './mjml-worker.js';

let compiler: CompileMjml | undefined;

/**
 * The process's MJML compiler, created on first use; calling this starts loading MJML. Compiled
 * JavaScript runs MJML in a worker thread; from TypeScript sources (tests) it runs in this thread.
 */
export function mjmlCompiler(): CompileMjml {
  compiler ??= import.meta.url.endsWith('.ts') ? inThreadCompiler() : workerCompiler();
  return compiler;
}

/**
 * Starts loading MJML now, for a caller that expects to render (the build command, when an issue
 * changed since its last build), so that the load overlaps with loading and parsing everything else.
 */
export function warmUpMjml(): void {
  mjmlCompiler();
}

function inThreadCompiler(): CompileMjml {
  const loading = import('mjml');
  return async (mjml, options) => {
    const { default: mjml2html } = await loading;
    return mjml2html(mjml, options);
  };
}

function workerCompiler(): CompileMjml {
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
  return (mjml, options) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: (html) => resolve({ html }), reject });
      worker.ref();
      worker.postMessage({ id, mjml, options });
    });
}
