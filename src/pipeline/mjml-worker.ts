import { parentPort } from 'node:worker_threads';

/**
 * Compiles MJML off the main thread. Loading MJML is most of a cold build; in a worker it overlaps
 * with everything else `build` loads (config, Markdown, sanitizer, template engine). The thread
 * can start before anyone knows whether an issue needs rendering: it loads MJML on the first
 * request, `load` or `compile`.
 */
export type WorkerRequest = { kind: 'load' } | { kind: 'compile'; id: number; mjml: string; options: Record<string, unknown> };

export type CompileResponse = { id: number; html: string } | { id: number; error: { message: string; errors?: unknown } };

const port = parentPort;
if (port) {
  let loading: ReturnType<typeof loadMjml> | undefined;
  const mjml = () => {
    loading ??= loadMjml();
    return loading;
  };
  port.on('message', async (request: WorkerRequest) => {
    if (request.kind === 'load') {
      void mjml();
      return;
    }
    const { id, mjml: source, options } = request;
    try {
      const { default: mjml2html } = await mjml();
      const { html } = await mjml2html(source, options);
      port.postMessage({ id, html } satisfies CompileResponse);
    } catch (error) {
      const { message, errors } = error as { message?: string; errors?: unknown };
      port.postMessage({ id, error: { message: message ?? String(error), errors: structuredCloneable(errors) } } satisfies CompileResponse);
    }
  });
}

function loadMjml() {
  const loading = import('mjml');
  loading.catch(() => undefined); // reported with the first compile
  return loading;
}

function structuredCloneable(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch {
    return undefined;
  }
}
