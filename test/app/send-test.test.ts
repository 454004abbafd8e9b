import { afterEach, describe, expect, it } from 'vitest';
import { sendTest } from '../../src/app/send-test.js';
import { header } from '../helpers/sent-messages.js';
import { ISSUE } from '../cli/send-project.js';
import { sendHarness, type SendHarness } from './send-harness.js';

let harness: SendHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('sendTest (in process, real SMTP server on loopback)', () => {
  it('goes only to the test recipients with [TEST] and records nothing', async () => {
    harness = await sendHarness(10);
    const { sink, project, settings } = harness;
    const report = await sendTest(settings, { ref: ISSUE }, { now: () => new Date() });
    expect(report.results.map((r) => [r.to, r.outcome])).toEqual([
      ['editor@example.com', 'sent'],
      ['second.editor@example.com', 'sent'],
    ]);
    expect(sink.messages.map((m) => m.envelope.to[0]).sort()).toEqual(['editor@example.com', 'second.editor@example.com']);
    expect(sink.messages[0]!.parsed!.subject).toBe('[TEST] CEO Klarna Peringatkan Kehilangan Pekerjaan Akibat AI Bisa Memicu Resesi');
    expect(header(sink.messages[0]!, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(project.sql('SELECT * FROM deliveries')).toEqual([]);

    await sendTest(settings, { ref: ISSUE, to: ['someone@example.com'] }, { now: () => new Date() });
    expect(sink.messages.at(-1)!.envelope.to).toEqual(['someone@example.com']);
  });

  it('says how to name test recipients when there are none', async () => {
    harness = await sendHarness(1, {}, { test: { recipients: [] } });
    await expect(sendTest(harness.settings, { ref: ISSUE }, { now: () => new Date() })).rejects.toThrow(/no test recipients: add --to ADDRESS or set test.recipients/);
    expect(harness.sink.messages).toHaveLength(0);
  });
});
