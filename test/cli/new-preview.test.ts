import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repo, runCli } from '../helpers/run-cli.js';
import { KLARNA, startCli, tempProject, type TempProject } from './build-project.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

describe('fintechweekly new', () => {
  it('--yes scaffolds issues/<date>-<slug>.md, and never overwrites it', () => {
    project = tempProject({ sampleIssue: false });
    const args = ['new', '--title', 'Bank Indonesia & QRIS: Ekspansi ke Jepang', '--date', '2026-12-04', '--source', 'https://example.com/qris', '--yes'];
    const first = runCli(project.dir, args);
    expect(first.code, first.stderr).toBe(0);
    const file = path.join(project.dir, 'issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^---\ntitle: "Bank Indonesia & QRIS: Ekspansi ke Jepang"\ndate: 2026-12-04\nsource: https:\/\/example\.com\/qris\nlang: id\n---\n/);
    expect(first.stdout).toContain('created issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md');
    expect(first.stdout).toContain('next: edit it, then run: fintechweekly preview issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md');

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

describe('fintechweekly new on a terminal', () => {
  /** Runs `new` in a pseudo-terminal (util-linux `script`), typing each answer when its question shows. */
  async function answerPrompts(dir: string, answers: [question: string, answer: string][]): Promise<{ code: number | null; output: string }> {
    const { spawn } = await import('node:child_process');
    const bin = path.join(repo, 'bin/fintechweekly.js');
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} new`, '/dev/null'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, TERM: 'xterm', NO_COLOR: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    let from = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const next = answers[0];
      const at = next ? output.indexOf(next[0], from) : -1;
      if (!next || at < 0) return;
      // Each text is looked for after the last one answered, so a question asked again is answered again.
      from = at + next[0].length;
      answers.shift();
      // Ctrl-U clears what the prompt kept of a refused answer before the new one is typed.
      child.stdin.write(`\u0015${next[1]}\r`);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, output };
  }

  it('asks for the title, date and source, asks again after a wrong answer, and writes the issue', async () => {
    project = tempProject({ sampleIssue: false });
    const result = await answerPrompts(project.dir, [
      ['Title (headline):', 'Regulasi Kripto Baru'],
      ['Date (YYYY-MM-DD):', '2026-02-30'],
      ['is not a real calendar date', '2026-12-01'],
      ['Source URL', 'not a url'],
      ['must be an http(s) URL', 'https://example.com/kripto'],
    ]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('created issues/2026-12-01-regulasi-kripto-baru.md');
    const text = readFileSync(path.join(project.dir, 'issues/2026-12-01-regulasi-kripto-baru.md'), 'utf8');
    expect(text).toMatch(/^---\ntitle: Regulasi Kripto Baru\ndate: 2026-12-01\nsource: https:\/\/example\.com\/kripto\nlang: id\n---\n/);
  });
});

// The live reload is tested in process (test/app/preview-issue.test.ts).
describe('fintechweekly preview', () => {
  it('serves the shell with the width switch and the built email on 127.0.0.1 until stopped', async () => {
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
    } finally {
      child.kill('SIGTERM');
    }
    // Ctrl-C or SIGTERM closes the server and ends the process cleanly.
    const code = child.exitCode ?? (await new Promise<number | null>((resolve) => child.on('exit', resolve)));
    expect(code).toBe(0);
  });
});
