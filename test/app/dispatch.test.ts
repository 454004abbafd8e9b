import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DispatchEvent, DispatchReport } from '../../src/app/dispatch.js';
import { scheduleCampaign } from '../../src/store/schedule.js';
import { countsByAddress } from '../helpers/sent-messages.js';
import type { SmtpSinkOptions } from '../helpers/smtp-sink.js';
import { address, ISSUE } from '../cli/send-project.js';
import { sendHarness, type SendHarness } from './send-harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(subscribers: number, sinkOptions: SmtpSinkOptions = {}): Promise<SendHarness> {
  const harness = await sendHarness(subscribers, sinkOptions);
  cleanups.push(() => harness.close());
  return harness;
}

/** `schedule ISSUE --now`, straight into the store. */
function scheduleNow(harness: SendHarness): void {
  const now = new Date();
  scheduleCampaign(harness.db, { slug: ISSUE, issuePath: `issues/${ISSUE}.md`, subject: 'Klarna', sendAt: now, now });
}

function ran(report: DispatchReport): Extract<DispatchReport, { ran: true }> {
  if (!report.ran) throw new Error(`dispatch did not run: ${JSON.stringify(report)}`);
  return report;
}

const campaignStates = (harness: SendHarness) => harness.project.sql<{ slug: string; status: string }>('SELECT slug, status FROM campaigns');
const started = (events: DispatchEvent[]) => events.flatMap((e) => (e.type === 'campaign' ? [[e.campaign.slug, e.campaign.reason]] : []));

// Dispatching a scheduled issue runs the preflight check (SpamAssassin and Chromium): slow on a busy machine.
describe('dispatch (in process, real SMTP server on loopback, real SQLite)', { timeout: 180_000 }, () => {
  it('a live dispatch lock makes the next one do nothing; a send of the issue by hand is left alone; dead holders\' locks are taken over', async () => {
    const harness = await setup(3);
    scheduleNow(harness);
    const lock = (name: string, pid: number) => {
      harness.project.sql('DELETE FROM locks WHERE name = ? RETURNING name', name);
      harness.project.sql('INSERT INTO locks (name, pid, host, acquired_at) VALUES (?, ?, ?, ?) RETURNING name', name, pid, hostname(), '2026-11-30T00:00:00.000Z');
    };
    lock('dispatch', process.ppid); // a live process that is not this one
    expect(await harness.dispatch()).toEqual({ ran: false, otherDispatch: { pid: process.ppid, host: hostname(), acquiredAt: '2026-11-30T00:00:00.000Z' } });
    expect(harness.sink.messages).toHaveLength(0);

    harness.project.sql('DELETE FROM locks RETURNING name');
    lock(`campaign:${ISSUE}`, process.ppid);
    const busy = ran(await harness.dispatch());
    expect(busy.campaigns).toEqual([{ slug: ISSUE, reason: 'scheduled', outcome: 'busy' }]);
    expect(harness.dispatchEvents).toContainEqual({ type: 'busy', slug: ISSUE, holder: { pid: process.ppid, host: hostname(), acquiredAt: '2026-11-30T00:00:00.000Z' } });
    expect(harness.sink.messages).toHaveLength(0);

    // Crashed holders (a pid that is not running) do not block.
    const dead = 2 ** 22 + 12345;
    lock('dispatch', dead);
    lock(`campaign:${ISSUE}`, dead);
    const resumed = ran(await harness.dispatch());
    expect(resumed.campaigns).toMatchObject([{ slug: ISSUE, outcome: 'sent', summary: { sent: 3 } }]);
    expect(harness.sink.messages).toHaveLength(3);
    expect(harness.project.sql('SELECT * FROM locks')).toEqual([]);
    expect(campaignStates(harness)).toEqual([{ slug: ISSUE, status: 'done' }]);
  });

  it('a front matter send_at that has come schedules the issue, like schedule --at, and it is sent once', async () => {
    const harness = await setup(3);
    const file = path.join(harness.project.dir, 'issues', `${ISSUE}.md`);
    const sendAt = new Date(Date.now() - 60_000).toISOString();
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^---\n/, `---\nsend_at: "${sendAt}"\n`));
    const first = ran(await harness.dispatch());
    expect(first.frontMatter).toEqual({ changes: [{ change: 'scheduled', sendAt, slug: ISSUE, file: `issues/${ISSUE}.md` }], problems: [] });
    expect(started(harness.dispatchEvents)).toEqual([[ISSUE, 'scheduled']]);
    // The same check as `send` ran before anyone received it.
    expect(harness.dispatchEvents.some((e) => e.type === 'check' && /check passed/.test(e.line))).toBe(true);
    expect(first.totals).toMatchObject({ sent: 3, failed: 0 });
    expect(harness.sink.messages).toHaveLength(3);
    const second = ran(await harness.dispatch());
    expect(second.campaigns).toEqual([]);
    expect(harness.sink.messages).toHaveLength(3);
  });

  it('leaves deferred deliveries to a later dispatch once their backoff has passed, then delivers them once', async () => {
    let refuse = true;
    const harness = await setup(3, { rcptReply: (to) => (refuse && to === address(2) ? 451 : undefined) });
    scheduleNow(harness);
    const first = ran(await harness.dispatch());
    expect(first.campaigns).toMatchObject([{ slug: ISSUE, reason: 'scheduled', outcome: 'incomplete', summary: { sent: 2, deferred: 1 } }]);
    expect(harness.sink.messages).toHaveLength(2);

    // Not asked again by every cron run: the next try waits send.retryMaxSeconds (600 s here).
    expect(ran(await harness.dispatch()).campaigns).toEqual([]);
    expect(harness.sink.messages).toHaveLength(2);
    harness.project.sql(`UPDATE deliveries SET next_attempt_at = '2000-01-01T00:00:00.000Z' WHERE state = 'deferred' RETURNING id`);
    refuse = false;
    harness.dispatchEvents.length = 0;
    const second = ran(await harness.dispatch());
    expect(started(harness.dispatchEvents)).toEqual([[ISSUE, 'deferred']]);
    expect(second.campaigns).toMatchObject([{ outcome: 'sent', summary: { sent: 1 } }]);
    expect(countsByAddress(harness.sink).get(address(2))).toBe(1);
    expect(harness.sink.messages).toHaveLength(3);
  });

  it('resumes a send that stopped half way (a crash, an abort, --limit): the rest is delivered once', async () => {
    const harness = await setup(5);
    expect(await harness.send({ limit: 2 })).toMatchObject({ sent: 2 });
    // A row a killed process left in `sending`: it may have been delivered, so it becomes unknown.
    harness.project.sql(`UPDATE deliveries SET state = 'sending' WHERE email = ? RETURNING id`, address(3));
    const report = ran(await harness.dispatch());
    expect(started(harness.dispatchEvents)).toEqual([[ISSUE, 'interrupted']]);
    expect(report.campaigns).toMatchObject([{ outcome: 'incomplete', summary: { sent: 2, log: { unknown: 1 } } }]);
    expect(harness.dispatchEvents).toContainEqual(expect.objectContaining({ type: 'send', slug: ISSUE, event: expect.objectContaining({ type: 'start', interrupted: 1 }) }));
    const counts = countsByAddress(harness.sink);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect([...counts.keys()].sort()).toEqual([address(1), address(2), address(4), address(5)]);
    expect(harness.project.deliveries().get(address(3))?.state).toBe('unknown');
    // Only an unknown delivery is left: dispatch does not keep picking the campaign up.
    expect(ran(await harness.dispatch()).campaigns).toEqual([]);
  });

  it('with nothing due names the next scheduled issue; a future schedule is not sent early', async () => {
    const harness = await setup(2);
    expect(await harness.dispatch()).toMatchObject({ ran: true, campaigns: [], next: undefined });
    const later = new Date('2099-12-01T00:00:00.000Z');
    scheduleCampaign(harness.db, { slug: ISSUE, issuePath: `issues/${ISSUE}.md`, subject: 'Klarna', sendAt: later, now: new Date() });
    expect(await harness.dispatch()).toMatchObject({ ran: true, campaigns: [], next: { slug: ISSUE, sendAt: later.toISOString() } });
    expect(harness.sink.messages).toHaveLength(0);
  });

  it('a stop before a campaign begins leaves it as it was, for the next dispatch', async () => {
    const harness = await setup(2);
    scheduleNow(harness);
    const stop = new AbortController();
    stop.abort('SIGTERM');
    const report = ran(
      await (await import('../../src/app/dispatch.js')).dispatch(harness.settings, { env: {} }, { store: harness.db, now: () => new Date(), signals: { stop: stop.signal, halt: new AbortController().signal } }),
    );
    expect(report).toMatchObject({ campaigns: [], stopped: { reason: 'SIGTERM', notStarted: [ISSUE] } });
    expect(campaignStates(harness)).toEqual([{ slug: ISSUE, status: 'scheduled' }]);
    expect(harness.project.sql('SELECT * FROM deliveries')).toEqual([]);
    expect(harness.sink.messages).toHaveLength(0);
  });
});
