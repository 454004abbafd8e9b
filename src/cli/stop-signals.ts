import { constants } from 'node:os';
import type { StopSignals } from '../app/send-issue.js';

/**
 * Ctrl-C (SIGINT) and SIGTERM while `send` or `dispatch` runs: the first asks the send to stop
 * cleanly (no new messages, a bounded wait for those in flight, their outcome recorded), the second
 * to stop at once (what is in flight is cut and recorded as far as it got). Should even that not end
 * the process promptly, or a third signal come, it exits at once: the send log stays exact either
 * way, and the next run reports what may have gone out as unknown.
 */
export function stopSignals(): { signals: StopSignals; listen: () => void; dispose: () => void } {
  const stop = new AbortController();
  const halt = new AbortController();
  let received = 0;
  let lastResort: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // The shell's convention for "ended by this signal".
    const killed = 128 + constants.signals[signal];
    received++;
    if (received === 1) stop.abort(signal);
    else if (received === 2) {
      halt.abort(signal);
      lastResort = setTimeout(() => process.exit(killed), 3000);
      lastResort.unref();
    } else process.exit(killed);
  };
  return {
    signals: { stop: stop.signal, halt: halt.signal },
    listen: () => {
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    },
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearTimeout(lastResort);
    },
  };
}
