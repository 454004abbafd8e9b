import type * as ConfigLoading from '../config/load.js';
import type { Settings } from '../config/load.js';

let configLoading: typeof ConfigLoading | undefined;
let cached: Settings | undefined;

/**
 * Loads the config reader (YAML parser, schema). main awaits it before any command's action runs,
 * so that `--help` and usage errors never pay for it.
 */
export async function loadConfigReader(): Promise<void> {
  configLoading ??= await import('../config/load.js');
}

/** The project's settings as they are on disk now: config file, environment, store path. */
export function readSettings(): Settings {
  if (!configLoading) throw new Error('readSettings() ran before loadConfigReader()');
  return configLoading.loadSettings({ cwd: process.cwd(), env: process.env });
}

/** The project's settings for this process. Read once. */
export function settings(): Settings {
  cached ??= readSettings();
  return cached;
}
