/**
 * A token bucket for "at most `rate` messages per second across all connections". Callers reserve
 * a slot and wait the returned time; reserving before waiting lets the bucket go negative, which is
 * what keeps concurrent callers from all passing at once.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Milliseconds to wait before the next message may start. `now` in milliseconds. */
  reserve(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.ratePerSecond;
  }
}

/** Exponential backoff for a deferred delivery: base, 2 x base, 4 x base, ... capped at max. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, maxSeconds: number): number {
  return Math.min(maxSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
}
