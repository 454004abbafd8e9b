import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { isFintechWeeklyError } from '../core/errors.js';
import { resolveIssueRef, slugFromFileName } from './issue-files.js';

const mtime = (file: string) => (existsSync(file) ? statSync(file).mtimeMs : 0);

/**
 * A cheap guess (file times only, no parsing) whether building these issues will render anything.
 * A wrong guess costs time, never correctness: buildIssue decides by content hash.
 */
export function mayNeedRender(settings: Settings, refs: string[], outDir: string | undefined): boolean {
  const templateDir = path.resolve(settings.root, settings.config.paths.templates, settings.config.template);
  const templateFiles = existsSync(templateDir) ? (readdirSync(templateDir, { recursive: true }) as string[]).map((n) => path.join(templateDir, n)) : [];
  const inputsChanged = Math.max(settings.configPath ? mtime(settings.configPath) : 0, ...templateFiles.map(mtime));
  const dist = path.resolve(settings.root, outDir ?? settings.config.paths.dist);
  return refs.some((ref) => {
    let file: string;
    try {
      file = resolveIssueRef(settings, ref);
    } catch (error) {
      if (isFintechWeeklyError(error)) return false;
      throw error;
    }
    const built = mtime(path.join(dist, slugFromFileName(file), '.build.json'));
    return built === 0 || built < Math.max(inputsChanged, mtime(file));
  });
}
