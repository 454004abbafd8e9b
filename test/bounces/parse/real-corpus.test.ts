import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readBounce, type ReadBounce } from '../../../src/bounces/parse/read-bounce.js';

/**
 * The classifier measured on real returned messages from many MTAs and providers: the sisimai
 * project's published test emails (github.com/sisimai/set-of-emails, as kept in sisimai's
 * repositories), each labelled with the reason sisimai's own tests expect for each recipient.
 * labels.json names each file's source and those reasons; the issue's definition turns them into
 * classes below. The targets are the issue's: at least 90% of bounced recipients get the expert's
 * hard/soft class, at least 95% of complaints are recognised, and no auto-reply is a bounce.
 */
const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/bounces/real');
const labels = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Record<string, { source: string; reasons: string[]; labelledBy?: 'reading'; filteredReadAs?: ('hard' | 'soft')[] }>;

/** Hard: the address itself is bad. Suspended (closed) mailboxes and RFC 7505 null MX count as the address. */
const HARD = new Set(['userunknown', 'hostunknown', 'hasmoved', 'suspend', 'notaccept']);
// ("notaccept-soft" marks sisimai's notaccept that it does not call a hard bounce: a 4xx, the receiver not accepting mail for now.)
/**
 * Not bounces at all: what they are instead. sisimai files every RFC 5965 report under "feedback";
 * an auth-failure report (DMARC) says nothing a reader did, so it is no complaint here ("authreport").
 */
const NOT_BOUNCES: Record<string, 'complaint' | 'auto-reply' | 'delivered' | 'report'> = { feedback: 'complaint', vacation: 'auto-reply', delivered: 'delivered', authreport: 'report' };

type Expected = { kind: 'bounce'; classes: ('hard' | 'soft')[] } | { kind: 'complaint' | 'auto-reply' | 'delivered' | 'report' };

function expectedOf(reasons: string[]): Expected {
  const other = NOT_BOUNCES[reasons[0] as string];
  if (other) return { kind: other };
  return { kind: 'bounce', classes: reasons.map((r) => (HARD.has(r) ? 'hard' : 'soft')) };
}

/** The classes readBounce gives: a delay notice is soft (nothing is done), anything that is no bounce gives none. */
function classesOf(read: ReadBounce): string[] {
  if (read.kind === 'delayed') return read.recipients.map(() => 'soft');
  if (read.kind !== 'bounce') return [];
  return read.recipients.map((r) => r.class);
}

/** How many expected classes the result matches, recipient for recipient (as multisets: addresses are not compared). */
function agreeing(want: string[], got: string[]): number {
  const left = [...got];
  let count = 0;
  for (const c of want) {
    const at = left.indexOf(c);
    if (at >= 0) {
      left.splice(at, 1);
      count++;
    }
  }
  return count;
}

function measure() {
  let recipients = 0;
  let agreed = 0;
  let filtered = 0;
  let filteredAgreed = 0;
  let agreedAsRead = 0;
  let complaints = 0;
  let complaintsFound = 0;
  let autoReplies = 0;
  let autoRepliesAsBounce = 0;
  let delivered = 0;
  let deliveredAsBounce = 0;
  let reports = 0;
  let reportsActedOn = 0;
  const wrong: string[] = [];
  const filteredHard: string[] = [];
  for (const [file, label] of Object.entries(labels)) {
    const read = readBounce(readFileSync(path.join(dir, file)));
    const want = expectedOf(label.reasons);
    const shown = `${file} (${label.reasons.join(', ')}): got ${read.kind} ${read.recipients.map((r) => `${r.class} ${r.reason} ${r.status ?? ''}`).join('; ')}`;
    if (want.kind === 'bounce') {
      const got = classesOf(read);
      const ok = agreeing(want.classes, got);
      recipients += want.classes.length;
      agreed += ok;
      // sisimai's "filtered" (a filter's refusal, often after DATA) is counted soft, as sisimai counts
      // it; yet most of its servers word it "User unknown", which the issue calls hard. So it is also
      // reported apart, and once more with each one read by its words (filteredReadAs in labels.json).
      const isFiltered = label.reasons.map((r) => r === 'filtered');
      filtered += isFiltered.filter(Boolean).length;
      if (label.reasons.every((r) => r === 'filtered')) filteredAgreed += ok;
      else if (isFiltered.some(Boolean)) filteredAgreed += agreeing(want.classes.filter((_, i) => isFiltered[i]), got);
      // The same recipients with "filtered" decided by the server's words under the issue's definition.
      const asRead = label.filteredReadAs ? agreeing(label.filteredReadAs, got) : ok;
      agreedAsRead += asRead;
      if (asRead < want.classes.length) wrong.push(`${shown} | ${read.recipients[0]?.diagnostic.slice(0, 160) ?? read.problems.join('; ')}`);
      else if (ok < want.classes.length) filteredHard.push(file);
    } else if (want.kind === 'complaint') {
      complaints++;
      if (read.kind === 'complaint') complaintsFound++;
      else wrong.push(shown);
    } else if (want.kind === 'auto-reply') {
      autoReplies++;
      if (read.kind === 'bounce') {
        autoRepliesAsBounce++;
        wrong.push(shown);
      }
    } else if (want.kind === 'report') {
      reports++;
      if (read.kind === 'bounce' || read.kind === 'complaint') {
        reportsActedOn++;
        wrong.push(shown);
      }
    } else {
      delivered++;
      if (read.kind === 'bounce') {
        deliveredAsBounce++;
        wrong.push(shown);
      }
    }
  }
  return { recipients, agreed, agreedAsRead, filtered, filteredAgreed, complaints, complaintsFound, autoReplies, autoRepliesAsBounce, delivered, deliveredAsBounce, reports, reportsActedOn, wrong, filteredHard };
}

describe('readBounce on real bounces from many MTAs (sisimai set-of-emails)', () => {
  it('has a label for every message and a message for every label', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files.sort()).toEqual(Object.keys(labels).sort());
  });

  it('meets the issue targets: >= 90% hard/soft agreement ("filtered" read by its words; and without it), >= 95% complaints, no auto-reply as a bounce', () => {
    const m = measure();
    const pct = (a: number, b: number) => (b === 0 ? 100 : (100 * a) / b);
    const summary = [
      `${Object.keys(labels).length} messages`,
      `hard/soft agreement ${m.agreed}/${m.recipients} recipients (${pct(m.agreed, m.recipients).toFixed(1)}%)`,
      `  without sisimai's "filtered" (${m.filtered} recipients, ${m.filteredAgreed} agreeing): ${m.agreed - m.filteredAgreed}/${m.recipients - m.filtered} (${pct(m.agreed - m.filteredAgreed, m.recipients - m.filtered).toFixed(1)}%)`,
      `  with "filtered" read by the server's words (User unknown = hard, the issue's definition): ${m.agreedAsRead}/${m.recipients} (${pct(m.agreedAsRead, m.recipients).toFixed(1)}%)`,
      `complaints recognised ${m.complaintsFound}/${m.complaints} (${pct(m.complaintsFound, m.complaints).toFixed(1)}%)`,
      `auto-replies counted as bounces ${m.autoRepliesAsBounce}/${m.autoReplies}`,
      `delivery reports counted as bounces ${m.deliveredAsBounce}/${m.delivered}`,
      `DMARC auth-failure reports taken for bounces or complaints ${m.reportsActedOn}/${m.reports}`,
      `disagreements (with "filtered" as read):\n  ${m.wrong.join('\n  ')}`,
      `"filtered" that say the address does not exist, hard here: ${m.filteredHard.join(', ')}`,
    ].join('\n');
    if (process.env.BOUNCE_CORPUS_REPORT) console.log(summary);
    // Gated: all recipients with "filtered" read by its words, and sisimai's own labels without "filtered".
    expect(pct(m.agreedAsRead, m.recipients), summary).toBeGreaterThanOrEqual(90);
    expect(pct(m.agreed - m.filteredAgreed, m.recipients - m.filtered), summary).toBeGreaterThanOrEqual(90);
    expect(pct(m.complaintsFound, m.complaints), summary).toBeGreaterThanOrEqual(95);
    expect(m.autoRepliesAsBounce, summary).toBe(0);
    expect(m.deliveredAsBounce, summary).toBe(0);
    expect(m.reportsActedOn, summary).toBe(0);
  });
});
