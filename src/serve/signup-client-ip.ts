import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * Who sent a sign-up, for the per-IP limit and the consent record. X-Forwarded-For is anyone's to
 * write, so it is read only when the config says proxies stand in front (serve.trustProxy), and then
 * from the right: each proxy appends the address it received the request from, so the reader's is
 * as many entries from the end as there are proxies; anything further left is the client's own claim.
 */
export interface ClientAddress {
  /** The address, normalised (an IPv4-mapped IPv6 address as IPv4). */
  ip: string;
  /** What the per-IP limit counts by: the IPv4 address, or the /64 an IPv6 address belongs to (one home or host gets a whole /64). */
  rateKey: string;
}

export function clientAddress(req: IncomingMessage, trustProxy: boolean | number): ClientAddress {
  let ip = normalizeIp(req.socket.remoteAddress ?? '') ?? 'unknown';
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy;
  if (hops > 0) {
    const header = req.headers['x-forwarded-for'];
    const entries = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const forwarded = entries.length > 0 ? normalizeIp(entries[Math.max(0, entries.length - hops)] as string) : undefined;
    if (forwarded) ip = forwarded;
  }
  return { ip, rateKey: rateKeyOf(ip) };
}

/** An IP address as written in a header or by the socket (with a port or brackets, IPv4-mapped), or undefined. */
export function normalizeIp(raw: string): string | undefined {
  let text = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1] as string;
  else if (/^[\d.]+:\d+$/.test(text)) text = text.slice(0, text.lastIndexOf(':'));
  const version = isIP(text);
  if (version === 4) return text;
  if (version !== 6) return undefined;
  const lower = text.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  return mapped ? mapped[1] : lower;
}

function rateKeyOf(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const groups = expandIpv6(ip);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, as lower-case hex without leading zeros. */
function expandIpv6(ip: string): string[] {
  let text = ip.replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}
