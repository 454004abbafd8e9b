import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KLARNA, runCli, startCli, tempProject, type TempProject } from './build-project.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

describe('fintechweekly new', () => {
  it('--yes scaffolds issues/<date>-<slug>.md that builds, and never overwrites it', () => {
    project = tempProject({ sampleIssue: false });
    const args = ['new', '--title', 'Bank Indonesia & QRIS: Ekspansi ke Jepang', '--date', '2026-12-04', '--source', 'https://example.com/qris', '--yes'];
    const first = runCli(project.dir, args);
    expect(first.code, first.stderr).toBe(0);
    const file = path.join(project.dir, 'issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^---\ntitle: "Bank Indonesia & QRIS: Ekspansi ke Jepang"\ndate: 2026-12-04\nsource: https:\/\/example\.com\/qris\nlang: id\n---\n/);
    expect(runCli(project.dir, ['build']).code).toBe(0);

    project.write('issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md', `${text}\nSudah ditulis.\n`);
    const again = runCli(project.dir, args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error: issues\/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang\.md already exists; nothing was written$/m);
    expect(readFileSync(file, 'utf8')).toContain('Sudah ditulis.');
  });

  it('rejects a bad date or a missing title without writing anything', () => {
    project = tempProject({ sampleIssue: false });
    const badDate = runCli(project.dir, ['new', '--title', 'x', '--date', '2026-02-30', '--yes']);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toMatch(/^error: --date: is not a real calendar date$/m);
    const noTitle = runCli(project.dir, ['new', '--yes']);
    expect(noTitle.code).toBe(2);
    expect(noTitle.stderr).toMatch(/^error: --title is required$/m);
    expect(readdirSync(path.join(project.dir, 'issues'))).toEqual([]);
  });
});

describe('fintechweekly preview', () => {
  it('serves the shell with the width switch, the built email and the live-reload stream on 127.0.0.1', async () => {
    project = tempProject();
    const { child, match } = await startCli(project.dir, ['preview', KLARNA, '--port', '0'], /Preview: (http:\/\/127\.0\.0\.1:\d+\/)/);
    try {
      const url = match[1] as string;
      const shell = await (await fetch(url)).text();
      expect(shell).toContain('data-width="600"');
      expect(shell).toContain('data-width="375"');
      expect(shell).toContain("new EventSource('/events')");
      const email = await (await fetch(`${url}email.html`)).text();
      expect(email).toContain('CEO Klarna Peringatkan: PHK AI Bisa Memicu Resesi Ekonomi');
      expect(email).toContain('/u/preview');

      // An edit to the issue is pushed to the page as a new build.
      const events = await fetch(`${url}events`);
      const reader = events.body!.getReader();
      const decoder = new TextDecoder();
      let stream = decoder.decode((await reader.read()).value);
      expect(stream).toContain('"version":1');
      const file = path.join(project.dir, 'issues', `${KLARNA}.md`);
      project.write(`issues/${KLARNA}.md`, readFileSync(file, 'utf8').replace('Ini tentang konsekuensi.', 'Ini tentang pilihan.'));
      while (!stream.includes('"version":2')) stream += decoder.decode((await reader.read()).value);
      await reader.cancel();
      expect(await (await fetch(`${url}email.html`)).text()).toContain('Ini tentang pilihan.');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
