import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildIssues } from '../../src/app/build-issues.js';
import { createIssue } from '../../src/app/create-issue.js';
import { EXIT } from '../../src/core/errors.js';
import { settingsOf, tempProject, type TempProject } from '../helpers/temp-project.js';

let project: TempProject | undefined;
afterEach(() => project?.remove());

const clock = (iso: string) => () => new Date(iso);

describe('createIssue', () => {
  it('scaffolds issues/<date>-<slug>.md that builds, and never overwrites it', async () => {
    project = tempProject({ sampleIssue: false });
    const settings = settingsOf(project.dir);
    const input = { title: 'Bank Indonesia & QRIS: Ekspansi ke Jepang', date: '2026-12-04', source: 'https://example.com/qris', cwd: project.dir };
    const { file } = await createIssue(settings, input, { now: clock('2026-11-01T00:00:00Z') });
    expect(file).toBe(path.join(project.dir, 'issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md'));
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^---\ntitle: "Bank Indonesia & QRIS: Ekspansi ke Jepang"\ndate: 2026-12-04\nsource: https:\/\/example\.com\/qris\nlang: id\n---\n/);
    expect(await buildIssues(settings, { refs: [], cwd: project.dir })).toMatchObject({ built: 1, failed: 0 });

    project.write('issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md', `${text}\nSudah ditulis.\n`);
    await expect(createIssue(settings, input, { now: clock('2026-11-01T00:00:00Z') })).rejects.toMatchObject({
      message: 'issues/2026-12-04-bank-indonesia-qris-ekspansi-ke-jepang.md already exists; nothing was written',
      exitCode: EXIT.error,
    });
    expect(readFileSync(file, 'utf8')).toContain('Sudah ditulis.');
  });

  it('dates the issue today in the config\'s time zone when no date is given', async () => {
    project = tempProject({ sampleIssue: false });
    // 20:00 UTC on 3 December is already 4 December in Jakarta.
    const { file } = await createIssue(settingsOf(project.dir), { title: 'Regulasi Kripto Baru', cwd: project.dir }, { now: clock('2026-12-03T20:00:00Z') });
    expect(path.basename(file)).toBe('2026-12-04-regulasi-kripto-baru.md');
    expect(readFileSync(file, 'utf8')).toContain('\ndate: 2026-12-04\n');
  });

  it('rejects a bad date or source as a usage error without writing anything', async () => {
    project = tempProject({ sampleIssue: false });
    const settings = settingsOf(project.dir);
    const now = clock('2026-12-01T00:00:00Z');
    await expect(createIssue(settings, { title: 'x', date: '2026-02-30', cwd: project.dir }, { now })).rejects.toMatchObject({ message: '--date: is not a real calendar date', exitCode: EXIT.usage });
    await expect(createIssue(settings, { title: 'x', source: 'not a url', cwd: project.dir }, { now })).rejects.toMatchObject({ message: expect.stringMatching(/^--source: must be an http\(s\) URL/), exitCode: EXIT.usage });
    expect(readdirSync(path.join(project.dir, 'issues'))).toEqual([]);
  });
});
