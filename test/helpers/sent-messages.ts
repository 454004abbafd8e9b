import type { SinkMessage, SmtpSink } from './smtp-sink.js';

/** What tests read off the messages an SMTP sink received. */

/** A header's unfolded value as it was sent (mailparser folds the List-* headers into "list"). */
export function header(message: SinkMessage, name: string): string {
  const line = message.parsed?.headerLines.find((h) => h.key === name.toLowerCase())?.line ?? '';
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

/** The one token a message carries, from List-Unsubscribe, and where else it appears. */
export function tokens(message: SinkMessage): { header: string; html: string[]; text: string[]; raw: string } {
  const fromHeader = /<https:\/\/news\.fintechweekly\.example\/u\/([^>]+)>/.exec(header(message, 'List-Unsubscribe'))?.[1] ?? '';
  const find = (body: string) => [...body.matchAll(/https:\/\/news\.fintechweekly\.example\/u\/([A-Za-z0-9._-]+)/g)].map((m) => m[1] as string);
  return { header: fromHeader, html: find(String(message.parsed?.html ?? '')), text: find(message.parsed?.text ?? ''), raw: message.raw.toString('utf8') };
}

/** How many messages each envelope recipient received. */
export function countsByAddress(sink: SmtpSink): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of sink.messages) for (const to of m.envelope.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  return counts;
}
