import { watch, type FSWatcher } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError, isFintechWeeklyError } from '../core/errors.js';
import { escapeHtml } from '../core/escape-html.js';
import { PREVIEW_TOKEN, UNSUBSCRIBE_TOKEN_MARKER } from '../core/message/placeholders.js';
import { buildIssue } from '../pipeline/build-issue.js';
import { resolveIssueRef } from '../pipeline/issue-files.js';
import { readTemplate } from '../pipeline/template-files.js';

export interface PreviewOptions {
  ref: string;
  port: number;
  /** Reads the config again; called after every change so config edits show up too. */
  loadSettings: () => Settings;
  /** Called after each rebuild (for the CLI to print a line). */
  onBuild?: (result: { ok: true; slug: string; warnings: number } | { ok: false; message: string }) => void;
}

export interface PreviewServer {
  url: string;
  close(): Promise<void>;
}

interface Current {
  html: string;
  text: string;
  error: string | undefined;
  version: number;
}

const SHELL = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>fintechweekly preview</title>
<style>
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #e5e7eb; }
  header { display: flex; gap: 8px; align-items: center; padding: 8px 12px; background: #111827; color: #fff; }
  header button { font: inherit; padding: 4px 10px; border-radius: 4px; border: 1px solid #4b5563; background: #1f2937; color: #fff; cursor: pointer; }
  header button[aria-pressed="true"] { background: #0b5cff; border-color: #0b5cff; }
  #error { display: none; white-space: pre-wrap; margin: 0; padding: 10px 12px; background: #fee2e2; color: #7f1d1d; font-family: monospace; }
  iframe { display: block; margin: 16px auto; border: 0; background: #fff; height: calc(100vh - 90px); box-shadow: 0 1px 4px rgba(0,0,0,.2); }
</style></head>
<body>
<header><strong>Preview</strong>
  <button data-width="600" aria-pressed="true">Desktop 600</button>
  <button data-width="375" aria-pressed="false">Phone 375</button>
  <a href="/email.txt" target="_blank" style="color:#93c5fd">text part</a>
  <span id="status"></span></header>
<pre id="error"></pre>
<iframe id="email" src="/email.html" width="600" title="email"></iframe>
<script>
  const frame = document.getElementById('email');
  const errorBox = document.getElementById('error');
  for (const button of document.querySelectorAll('button[data-width]')) {
    button.addEventListener('click', () => {
      frame.width = button.dataset.width;
      for (const b of document.querySelectorAll('button[data-width]')) b.setAttribute('aria-pressed', String(b === button));
    });
  }
  const events = new EventSource('/events');
  events.addEventListener('build', (event) => {
    const state = JSON.parse(event.data);
    errorBox.style.display = state.error ? 'block' : 'none';
    errorBox.textContent = state.error || '';
    document.getElementById('status').textContent = 'built ' + new Date().toLocaleTimeString();
    if (!state.error) frame.contentWindow.location.reload();
  });
</script>
</body></html>
`;

/** Serves the built email on 127.0.0.1 and rebuilds it when the issue, the template or the config changes. */
export async function startPreview(options: PreviewOptions): Promise<PreviewServer> {
  let settings = options.loadSettings();
  const file = resolveIssueRef(settings, options.ref);
  const current: Current = { html: '', text: '', error: undefined, version: 0 };
  const clients = new Set<ServerResponse>();

  const rebuild = async () => {
    try {
      settings = options.loadSettings();
      const built = await buildIssue(settings, file);
      current.html = built.html.replaceAll(UNSUBSCRIBE_TOKEN_MARKER, PREVIEW_TOKEN);
      current.text = built.text.replaceAll(UNSUBSCRIBE_TOKEN_MARKER, PREVIEW_TOKEN);
      current.error = undefined;
      options.onBuild?.({ ok: true, slug: built.slug, warnings: built.warnings.length });
    } catch (error) {
      if (!isFintechWeeklyError(error)) throw error;
      current.error = error.message + (error.hint ? `\nhint: ${error.hint}` : '');
      options.onBuild?.({ ok: false, message: error.message });
    }
    current.version++;
    for (const client of clients) client.write(`event: build\ndata: ${JSON.stringify({ version: current.version, error: current.error })}\n\n`);
  };
  await rebuild();

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const send = (type: string, body: string) => {
      response.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (url.pathname === '/') return send('text/html', SHELL);
    if (url.pathname === '/email.html') return send('text/html', current.error && !current.html ? `<pre>${escapeHtml(current.error)}</pre>` : current.html);
    if (url.pathname === '/email.txt') return send('text/plain', current.text);
    if (url.pathname === '/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      response.write(`event: build\ndata: ${JSON.stringify({ version: current.version, error: current.error })}\n\n`);
      clients.add(response);
      request.on('close', () => clients.delete(response));
      return undefined;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
    return undefined;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new FintechWeeklyError(`port ${options.port} on 127.0.0.1 is already in use`, { hint: 'Stop the other preview, or pass --port with another number (0 picks a free one).' }) : error),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });

  // Editors save by writing a new file and renaming it, so watch folders and filter by name.
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void rebuild(), 100);
  };
  const watchers: FSWatcher[] = [];
  const watchFolder = (dir: string, names: string[] | undefined, recursive = false) => {
    watchers.push(watch(dir, { recursive }, (_event, name) => {
      if (!names || (name && names.includes(path.basename(name.toString())))) schedule();
    }));
  };
  watchFolder(path.dirname(file), [path.basename(file)]);
  watchFolder(readTemplate(settings).root, undefined, true);
  if (settings.configPath) watchFolder(path.dirname(settings.configPath), [path.basename(settings.configPath)]);

  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

