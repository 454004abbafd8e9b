import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { previewIssue } from '../../src/app/preview-issue.js';
import type { PreviewServer } from '../../src/serve/preview-server.js';
import { KLARNA, settingsOf, tempProject, type TempProject } from '../helpers/temp-project.js';

let project: TempProject | undefined;
let preview: PreviewServer | undefined;
afterEach(async () => {
  await preview?.close();
  project?.remove();
});

type BuildResult = { ok: true; slug: string; warnings: number } | { ok: false; message: string };

/** Reads the server-sent events into `seen` until they contain `text`. */
async function until(reader: ReadableStreamDefaultReader<Uint8Array>, seen: { text: string }, text: string): Promise<void> {
  const decoder = new TextDecoder();
  while (!seen.text.includes(text)) seen.text += decoder.decode((await reader.read()).value);
}

describe('previewIssue', () => {
  it('serves the shell with the width switch, the built email and the live-reload stream; an edit rebuilds it, a broken edit shows the error', async () => {
    project = tempProject();
    const dir = project.dir;
    const builds: BuildResult[] = [];
    preview = await previewIssue(settingsOf(dir), { ref: `issues/${KLARNA}.md`, port: 0, cwd: dir }, { reloadSettings: () => settingsOf(dir), onBuild: (result) => builds.push(result) });
    const url = preview.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(builds).toEqual([{ ok: true, slug: KLARNA, warnings: 0 }]);
    const shell = await (await fetch(url)).text();
    expect(shell).toContain('data-width="600"');
    expect(shell).toContain('data-width="375"');
    expect(shell).toContain("new EventSource('/events')");
    const email = await (await fetch(`${url}email.html`)).text();
    expect(email).toContain('CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi');
    expect(email).toContain('/u/preview');
    expect(await (await fetch(`${url}email.txt`)).text()).toContain('CEO Klarna Peringatkan');

    // An edit to the issue is pushed to the page as a new build.
    const events = await fetch(`${url}events`);
    const reader = events.body!.getReader();
    const stream = { text: '' };
    await until(reader, stream, '"version":1');
    const file = path.join(dir, 'issues', `${KLARNA}.md`);
    const original = readFileSync(file, 'utf8');
    project.write(`issues/${KLARNA}.md`, original.replace('Ini tentang konsekuensi.', 'Ini tentang pilihan.'));
    await until(reader, stream, '"version":2');
    expect(await (await fetch(`${url}email.html`)).text()).toContain('Ini tentang pilihan.');

    // A broken edit: the error goes to the page and the last good email stays.
    project.write(`issues/${KLARNA}.md`, original.replace(/^date: .*$/m, 'date: 2026-02-30'));
    await until(reader, stream, '"error":"issues/');
    await reader.cancel();
    expect(stream.text).toMatch(/"version":\d+,"error":"issues\/2026-11-27-klarna-phk-ai-resesi\.md:\d+: date: is not a real calendar date/);
    expect(builds.at(-1)).toEqual({ ok: false, message: expect.stringContaining('date: is not a real calendar date') });
    expect(await (await fetch(`${url}email.html`)).text()).toContain('Ini tentang pilihan.');
  });

  it('names an issue that does not exist, and starts no server', async () => {
    project = tempProject();
    const dir = project.dir;
    await expect(previewIssue(settingsOf(dir), { ref: 'no-such-issue', port: 0, cwd: dir }, { reloadSettings: () => settingsOf(dir) })).rejects.toThrow(/^issue "no-such-issue" not found/);
  });
});
