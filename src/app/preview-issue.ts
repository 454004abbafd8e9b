import type { Settings } from '../config/load.js';
import { resolveIssueRef } from '../pipeline/issue-files.js';
import { startPreview, type PreviewOptions, type PreviewServer } from '../serve/preview-server.js';

export interface PreviewIssueInput {
  /** The issue file or its slug. */
  ref: string;
  /** 0 picks a free port. */
  port: number;
  /** Where the editor stands: the issue is looked for relative to it. */
  cwd: string;
}

export interface PreviewIssueDeps {
  /** Reads the settings again: after every change, so that config edits show up too. */
  reloadSettings: () => Settings;
  /** After each rebuild. */
  onBuild?: PreviewOptions['onBuild'];
}

/**
 * `preview`: serves the issue's email on 127.0.0.1 and rebuilds it whenever the issue, the
 * template or the config changes. Runs until the returned server is closed.
 */
export async function previewIssue(settings: Settings, input: PreviewIssueInput, deps: PreviewIssueDeps): Promise<PreviewServer> {
  const file = resolveIssueRef(settings, input.ref, input.cwd);
  return startPreview({ ref: file, port: input.port, loadSettings: deps.reloadSettings, onBuild: deps.onBuild });
}
