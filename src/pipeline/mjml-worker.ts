import { parentPort } from 'node:worker_threads';

/**
 * Compiles MJML off the main thread. Importing MJML takes about half a second; in a worker it
 * overlaps with everything else `build` loads (config, Markdown, sanitizer, template engine).
 */
export interface CompileRequest {
  id: number;
  mjml: string;
  options: Record<string, unknown>;
}

export type CompileResponse = { id: number; html: string } | { id: number; error: { message: string; errors?: unknown } };

const port = parentPort;
if (port) {
  const loading = import('mjml');
  loading.catch(() => undefined); // reported with the first request
  port.on('message', async ({ id, mjml, options }: CompileRequest) => {
    try {
      const { default: mjml2html } = await loading;
      const { html } = await mjml2html(mjml, options);
      port.postMessage({ id, html } satisfies CompileResponse);
    } catch (error) {
      const { message, errors } = error as { message?: string; errors?: unknown };
      port.postMessage({ id, error: { message: message ?? String(error), errors: structuredCloneable(errors) } } satisfies CompileResponse);
    }
  });
}

function structuredCloneable(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch {
    return undefined;
  }
}
