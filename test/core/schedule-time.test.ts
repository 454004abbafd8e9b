import { describe, expect, it } from 'vitest';
import { assertScheduleNotPast, calendarDateIn, describeInstant, formatInZone, parseScheduleTime } from '../../src/core/schedule-time.js';

const iso = (text: string, zone: string) => parseScheduleTime(text, zone).instant.toISOString();

describe('parseScheduleTime', () => {
  it('reads a time without an offset as wall time in Asia/Jakarta (UTC+7, no DST)', () => {
    expect(iso('2026-12-01T07:00', 'Asia/Jakarta')).toBe('2026-12-01T00:00:00.000Z');
    expect(iso('2026-07-01 07:30:15', 'Asia/Jakarta')).toBe('2026-07-01T00:30:15.000Z');
  });

  it('uses the offset the zone has on that date in America/New_York (EST in winter, EDT in summer)', () => {
    expect(iso('2026-01-15T09:00', 'America/New_York')).toBe('2026-01-15T14:00:00.000Z');
    expect(iso('2026-07-15T09:00', 'America/New_York')).toBe('2026-07-15T13:00:00.000Z');
    // The days the clocks change (8 March and 1 November 2026), away from the switch hour.
    expect(iso('2026-03-08T12:00', 'America/New_York')).toBe('2026-03-08T16:00:00.000Z');
    expect(iso('2026-11-01T12:00', 'America/New_York')).toBe('2026-11-01T17:00:00.000Z');
    expect(iso('2026-03-08T01:59', 'America/New_York')).toBe('2026-03-08T06:59:00.000Z');
  });

  it('refuses a wall time that the spring-forward gap skips', () => {
    expect(() => parseScheduleTime('2026-03-08T02:30', 'America/New_York')).toThrow(/does not exist in America\/New_York/);
  });

  it('takes the earlier of the two instants when the autumn hour repeats, and says so', () => {
    const parsed = parseScheduleTime('2026-11-01T01:30', 'America/New_York');
    expect(parsed.instant.toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(parsed.ambiguous).toBe(true);
  });

  it('honours an explicit offset or Z whatever the zone', () => {
    expect(iso('2026-12-01T07:00+07:00', 'America/New_York')).toBe('2026-12-01T00:00:00.000Z');
    expect(iso('2026-12-01T07:00-0530', 'Asia/Jakarta')).toBe('2026-12-01T12:30:00.000Z');
    expect(iso('2026-12-01T07:00Z', 'Asia/Jakarta')).toBe('2026-12-01T07:00:00.000Z');
    expect(parseScheduleTime('2026-12-01T07:00:00.250Z', 'Asia/Jakarta').hadOffset).toBe(true);
  });

  it('names what is wrong with text that is not a date and time', () => {
    expect(() => parseScheduleTime('tomorrow 9am', 'Asia/Jakarta')).toThrow(/--at "tomorrow 9am" is not an ISO 8601 date and time/);
    expect(() => parseScheduleTime('2026-12-01', 'Asia/Jakarta', 'send_at')).toThrow(/send_at "2026-12-01" is not an ISO 8601/);
    expect(() => parseScheduleTime('2026-02-30T09:00', 'Asia/Jakarta')).toThrow(/day 30 does not exist/);
    expect(() => parseScheduleTime('2026-13-01T09:00', 'Asia/Jakarta')).toThrow(/month 13/);
    expect(() => parseScheduleTime('2026-12-01T24:00', 'Asia/Jakarta')).toThrow(/hour 24/);
    expect(() => parseScheduleTime('2026-12-01T09:00+25:00', 'Asia/Jakarta')).toThrow(/offset/);
  });
});

describe('confirmation text', () => {
  it('prints the instant in the zone and in UTC', () => {
    const instant = new Date('2026-12-01T00:00:00Z');
    expect(describeInstant(instant, 'Asia/Jakarta')).toBe('2026-12-01 07:00 Asia/Jakarta (UTC+07:00) = 2026-12-01 00:00 UTC');
    expect(formatInZone(new Date('2026-07-15T13:00:00Z'), 'America/New_York')).toBe('2026-07-15 09:00 America/New_York (UTC-04:00)');
  });
});

describe('calendarDateIn', () => {
  it('is the date on the wall calendar of the zone, not of UTC', () => {
    const lateEvening = new Date('2026-11-30T18:30:00Z');
    expect(calendarDateIn(lateEvening, 'Asia/Jakarta')).toBe('2026-12-01');
    expect(calendarDateIn(lateEvening, 'America/New_York')).toBe('2026-11-30');
  });
});

describe('assertScheduleNotPast', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  it('refuses a past time unless --now', () => {
    expect(() => assertScheduleNotPast(new Date('2026-11-30T23:59:00Z'), now, false, 'Asia/Jakarta')).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/in the past/), hint: expect.stringMatching(/--now/), exitCode: 2 }),
    );
    expect(() => assertScheduleNotPast(new Date('2026-11-30T23:59:00Z'), now, true, 'Asia/Jakarta')).not.toThrow();
    expect(() => assertScheduleNotPast(new Date('2026-12-01T00:01:00Z'), now, false, 'Asia/Jakarta')).not.toThrow();
  });
});
