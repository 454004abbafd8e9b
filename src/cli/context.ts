import { loadSettings, type Settings } from '../config/load.js';

let cached: Settings | undefined;

/** The project's settings for this process: config file, environment, store path. Read once. */
export function settings(): Settings {
  cached ??= loadSettings({ cwd: process.cwd(), env: process.env });
  return cached;
}
