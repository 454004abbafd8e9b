import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Waits until `condition` holds, looking every 20 ms; fails naming `what` after `timeoutMs`. For
 * work that happens in the background (a mailer, a server process), not for measuring time.
 */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
