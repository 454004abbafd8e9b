import { UsageError } from './errors.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "7d", "36h", "90m", "2w" as milliseconds; `flag` names the option in the error. */
export function parseDuration(text: string, flag: string): number {
  const match = /^\s*(\d{1,6})\s*([mhdw])\s*$/i.exec(text);
  if (!match) throw new UsageError(`${flag} must be a number and a unit: m (minutes), h (hours), d (days) or w (weeks), like 7d; not "${text}"`);
  return Number(match[1]) * (UNITS[(match[2] as string).toLowerCase()] as number);
}
