import { UsageError } from './errors.js';

/**
 * Schedule times as editors write them: ISO 8601, with or without an offset. Without one the time
 * is wall-clock time in the configured zone, so "2026-12-01T07:00" means 7 in the morning in
 * Jakarta (or New York, DST included), whatever zone the server's clock runs in.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

export interface ParsedScheduleTime {
  /** The UTC instant. */
  instant: Date;
  /** True when the text carried its own offset (or Z) and the zone was not needed. */
  hadOffset: boolean;
  /** Set when the wall time happens twice in the zone (DST ends) and the earlier one was taken. */
  ambiguous: boolean;
}

const EXAMPLE = 'e.g. 2026-12-01T07:00 (in the configured time zone) or 2026-12-01T07:00+07:00';

/**
 * Reads `--at` (or front matter `send_at`). `where` names the flag or field in error messages.
 * Throws a UsageError for text that is not a valid ISO 8601 date and time, and for a wall time that
 * does not exist in the zone (skipped when clocks move forward).
 */
export function parseScheduleTime(text: string, timeZone: string, where = '--at'): ParsedScheduleTime {
  const match = ISO.exec(text.trim());
  if (!match) {
    throw new UsageError(`${where} "${text}" is not an ISO 8601 date and time`, { hint: `Write it as YYYY-MM-DDTHH:MM, ${EXAMPLE}.` });
  }
  const [, y, mo, d, h, mi, s, frac, offset] = match;
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: s === undefined ? 0 : Number(s),
    millisecond: frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3)),
  };
  const problem = wallTimeProblem(wall);
  if (problem) throw new UsageError(`${where} "${text}": ${problem}`, { hint: `Write a real date and time, ${EXAMPLE}.` });

  if (offset !== undefined) {
    const offsetMinutes = parseOffset(offset);
    if (offsetMinutes === undefined) throw new UsageError(`${where} "${text}": the offset ${offset} is out of range`, { hint: 'Offsets run from -23:59 to +23:59.' });
    return { instant: new Date(wallAsUtc(wall) - offsetMinutes * 60_000), hadOffset: true, ambiguous: false };
  }

  const candidates = instantsForWallTime(wall, timeZone);
  const first = candidates[0];
  if (first === undefined) {
    throw new UsageError(`${where} "${text}" does not exist in ${timeZone}: the clocks skip that hour (daylight saving time starts)`, {
      hint: 'Pick a time outside the skipped hour, or give an explicit offset.',
    });
  }
  return { instant: new Date(first), hadOffset: false, ambiguous: candidates.length > 1 };
}

/** Milliseconds to add to UTC to get the wall time in `timeZone` at `instant`. */
export function zoneOffsetMs(instant: number, timeZone: string): number {
  const wall = wallTimeIn(instant, timeZone);
  return wallAsUtc(wall) - Math.floor(instant / 1000) * 1000;
}

/** The wall-clock time in `timeZone` at `instant`, to the second. */
export function wallTimeIn(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: (parts.hour ?? 0) % 24,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
    millisecond: 0,
  };
}

/**
 * Every instant at which the zone's clocks show `wall`: one normally, two when DST ends (earlier
 * first), none in the hour skipped when DST starts. Offsets change at most once around a given
 * day, so the offsets a few hours before and after cover every case.
 */
function instantsForWallTime(wall: WallTime, timeZone: string): number[] {
  const local = wallAsUtc(wall);
  const offsets = new Set([zoneOffsetMs(local - 86_400_000, timeZone), zoneOffsetMs(local, timeZone), zoneOffsetMs(local + 86_400_000, timeZone)]);
  const found = new Set<number>();
  for (const offset of offsets) {
    const instant = local - offset;
    if (zoneOffsetMs(instant, timeZone) === offset) found.add(instant);
  }
  return [...found].sort((a, b) => a - b);
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallAsUtc(w: WallTime): number {
  const t = new Date(0);
  t.setUTCFullYear(w.year, w.month - 1, w.day);
  t.setUTCHours(w.hour, w.minute, w.second, w.millisecond);
  return t.getTime();
}

function wallTimeProblem(w: WallTime): string | undefined {
  if (w.month < 1 || w.month > 12) return `month ${w.month} does not exist`;
  const daysInMonth = new Date(Date.UTC(w.year, w.month, 0)).getUTCDate();
  if (w.day < 1 || w.day > daysInMonth) return `day ${w.day} does not exist in that month`;
  if (w.hour > 23) return `hour ${w.hour} does not exist (use 00-23)`;
  if (w.minute > 59) return `minute ${w.minute} does not exist`;
  if (w.second > 59) return `second ${w.second} does not exist`;
  return undefined;
}

/** "+07:00", "-0500", "+05", "Z" -> minutes east of UTC. */
function parseOffset(offset: string): number | undefined {
  if (offset.toUpperCase() === 'Z') return 0;
  const sign = offset.startsWith('-') ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return undefined;
  return sign * (hours * 60 + minutes);
}

/** "+07:00" style offset of `timeZone` at `instant`. */
export function formatOffset(offsetMs: number): string {
  const minutes = Math.round(offsetMs / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** "2026-12-01 07:00 Asia/Jakarta (UTC+07:00)". */
/** The calendar date (YYYY-MM-DD) of an instant in a zone: an issue written late in Jakarta is dated in Jakarta. */
export function calendarDateIn(instant: Date, timeZone: string): string {
  const w = wallTimeIn(instant.getTime(), timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

export function formatInZone(instant: Date, timeZone: string): string {
  const w = wallTimeIn(instant.getTime(), timeZone);
  const seconds = w.second === 0 ? '' : `:${pad(w.second)}`;
  return `${calendarDateIn(instant, timeZone)} ${pad(w.hour)}:${pad(w.minute)}${seconds} ${timeZone} (UTC${formatOffset(zoneOffsetMs(instant.getTime(), timeZone))})`;
}

/** "2026-12-01 00:00 UTC". */
export function formatUtc(instant: Date): string {
  const iso = instant.toISOString();
  const seconds = iso.slice(17, 19) === '00' ? '' : iso.slice(16, 19);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds} UTC`;
}

/** Both views of one instant, as the `schedule` confirmation and `schedule list` print them. */
export function describeInstant(instant: Date, timeZone: string): string {
  return `${formatInZone(instant, timeZone)} = ${formatUtc(instant)}`;
}

/**
 * Refuses a schedule time already past at `now` unless the editor said `--now` (send at the next
 * dispatch). A typo in the year should not send an issue at once.
 */
export function assertScheduleNotPast(instant: Date, now: Date, allowPast: boolean, timeZone: string): void {
  if (allowPast || instant.getTime() >= now.getTime()) return;
  throw new UsageError(`that time is in the past: ${describeInstant(instant, timeZone)}, now it is ${describeInstant(now, timeZone)}`, {
    hint: 'Give a later time, or add --now to send it at the next dispatch.',
  });
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
