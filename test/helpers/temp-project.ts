import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings, type Settings } from '../../src/config/load.js';
import { repo } from './run-cli.js';

/** A temporary copy of this project's editor-facing folders: the template, the config and the Klarna issue. */
export const KLARNA = '2026-11-27-klarna-phk-ai-resesi';

export interface TempProject {
  dir: string;
  write(relative: string, content: string | Uint8Array): string;
  remove(): void;
}

export function tempProject(options: { sampleIssue?: boolean } = {}): TempProject {
  const dir = mkdtempSync(path.join(tmpdir(), 'fw-build-'));
  cpSync(path.join(repo, 'templates'), path.join(dir, 'templates'), { recursive: true });
  cpSync(path.join(repo, 'fintechweekly.config.yaml'), path.join(dir, 'fintechweekly.config.yaml'));
  mkdirSync(path.join(dir, 'issues'));
  if (options.sampleIssue ?? true) cpSync(path.join(repo, 'issues', `${KLARNA}.md`), path.join(dir, 'issues', `${KLARNA}.md`));
  return {
    dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The project's settings as the CLI would load them there, for use-cases run in process: the
 * store in <dir>/store (as test/helpers/run-cli.ts puts it), and `env` on top.
 */
export function settingsOf(dir: string, env: NodeJS.ProcessEnv = {}): Settings {
  return loadSettings({ cwd: dir, env: { FINTECHWEEKLY_DB: path.join(dir, 'store', 'fintechweekly.db'), ...env } });
}
