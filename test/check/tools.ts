import { findOnPath } from '../../src/check/tools/executable.js';

/**
 * The spam and rendering checks need SpamAssassin and Chromium. CI installs both (.ci/run), so
 * there a missing tool must fail the tests; on a developer's machine they are skipped, and the
 * skipped test's name says why and how to install them.
 */
export function checkTools(): { missing: string[]; skip: boolean; label: string } {
  const missing = ['spamassassin', 'chromium'].filter((name) => !findOnPath(name, process.env));
  const skip = missing.length > 0 && process.env.CI !== 'true';
  const label = missing.length === 0 ? '' : ` (${skip ? 'skipped' : 'CI'}: ${missing.join(' and ')} not installed; apt-get install ${missing.join(' ')})`;
  return { missing, skip, label };
}
