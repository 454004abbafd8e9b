import { describe, expect, it } from 'vitest';
import { RateLimiter, retryDelaySeconds } from '../../src/delivery/rate-limit.js';

describe('RateLimiter (injected clock)', () => {
  it('lets a burst through, then spaces messages 1/rate apart, even for callers that reserve at the same instant', () => {
    const limiter = new RateLimiter(10, 2, 0);
    expect([limiter.reserve(0), limiter.reserve(0), limiter.reserve(0), limiter.reserve(0)]).toEqual([0, 0, 100, 200]);
  });

  it('refills with time and never banks more than the burst', () => {
    const limiter = new RateLimiter(10, 2, 0);
    limiter.reserve(0);
    limiter.reserve(0);
    expect(limiter.reserve(1000)).toBe(0);
    expect(limiter.reserve(1000)).toBe(0);
    expect(limiter.reserve(1000)).toBe(100);
  });

  it('holds the rate over a long run: 1,000 messages at 50/s take 20 s', () => {
    const limiter = new RateLimiter(50, 1, 0);
    let now = 0;
    for (let i = 0; i < 1000; i++) now += limiter.reserve(now);
    expect(now).toBeCloseTo(19_980, 5);
  });
});

describe('retryDelaySeconds', () => {
  it('doubles from the base up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelaySeconds(n, 30, 600))).toEqual([30, 60, 120, 240, 480, 600]);
    expect(retryDelaySeconds(3, 0, 600)).toBe(0);
  });
});
