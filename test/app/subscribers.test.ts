import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addSubscriber, removeSubscriber, resubscribeSubscriber, unsubscribeSubscriber } from '../../src/app/edit-subscriber.js';
import { exportSubscribers } from '../../src/app/export-subscribers.js';
import { listSubscribers } from '../../src/app/list-subscribers.js';
import type { Settings } from '../../src/config/load.js';
import type { SubscriberStatus } from '../../src/core/subscriber-csv.js';
import { EXIT } from '../../src/core/errors.js';
import type { Subscriber } from '../../src/store/subscribers.js';
import { settingsOf } from '../helpers/temp-project.js';

let dir: string;
let settings: Settings;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-app-subscribers-'));
  settings = settingsOf(dir);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function list(status?: SubscriberStatus): Promise<{ rows: Subscriber[]; counts: Record<string, number> }> {
  const rows: Subscriber[] = [];
  const counts = await listSubscribers(settings, { status }, async (subscribers) => {
    for (const s of subscribers) rows.push(s);
  });
  return { rows, counts };
}

async function exportCsv(status?: SubscriberStatus): Promise<{ text: string; count: number }> {
  let text = '';
  const { count } = await exportSubscribers(settings, { status }, async (csv) => {
    for (const chunk of csv) text += chunk;
  });
  return { text, count };
}

const notOnList = (email: string) => ({ message: `${email} is not on the subscriber list`, exitCode: EXIT.error, hint: expect.stringContaining('subscribers list') });

describe('the subscriber use-cases', () => {
  it('add, list, unsubscribe, resubscribe and remove by address, in any case', async () => {
    expect(await addSubscriber(settings, { email: 'Jane@Example.com', name: 'Jane Doe' })).toMatchObject({ id: 1, email: 'jane@example.com', name: 'Jane Doe', status: 'active', source: 'cli' });
    await addSubscriber(settings, { email: 'budi@example.co.id' });
    expect((await list()).rows).toEqual([
      { id: 1, email: 'jane@example.com', name: 'Jane Doe', status: 'active', source: 'cli', created_at: expect.any(String), updated_at: expect.any(String), unsubscribed_at: null, status_reason: null },
      { id: 2, email: 'budi@example.co.id', name: null, status: 'active', source: 'cli', created_at: expect.any(String), updated_at: expect.any(String), unsubscribed_at: null, status_reason: null },
    ]);

    const unsubscribed = await unsubscribeSubscriber(settings, { email: 'JANE@example.com' });
    expect(unsubscribed).toMatchObject({ changed: true, subscriber: { email: 'jane@example.com', status: 'unsubscribed', unsubscribed_at: expect.any(String) } });
    const again = await unsubscribeSubscriber(settings, { email: ' jane@example.com ' });
    expect(again).toMatchObject({ changed: false, subscriber: { unsubscribed_at: unsubscribed.subscriber.unsubscribed_at } });
    expect((await list('active')).rows.map((s) => s.email)).toEqual(['budi@example.co.id']);
    expect((await list()).counts).toEqual({ total: 2, active: 1, pending: 0, unsubscribed: 1, bounced: 0 });

    expect(await resubscribeSubscriber(settings, { email: 'jane@example.com' })).toMatchObject({ changed: true, subscriber: { status: 'active', unsubscribed_at: null } });
    expect(await resubscribeSubscriber(settings, { email: 'jane@example.com' })).toMatchObject({ changed: false });

    expect(await removeSubscriber(settings, { email: ' BUDI@example.co.id' })).toEqual({ email: 'budi@example.co.id' });
    await expect(removeSubscriber(settings, { email: 'budi@example.co.id' })).rejects.toMatchObject(notOnList('budi@example.co.id'));
    expect((await list()).rows.map((s) => s.email)).toEqual(['jane@example.com']);
  });

  it('an address that is not on the list is an error for unsubscribe and resubscribe too', async () => {
    await expect(unsubscribeSubscriber(settings, { email: 'Nobody@example.com' })).rejects.toMatchObject(notOnList('nobody@example.com'));
    await expect(resubscribeSubscriber(settings, { email: 'nobody@example.com' })).rejects.toMatchObject(notOnList('nobody@example.com'));
  });

  it('lists an empty store as nothing, with zero counts', async () => {
    expect(await list()).toEqual({ rows: [], counts: { total: 0, active: 0, pending: 0, unsubscribed: 0, bounced: 0 } });
  });

  it('refuses a bad address and an address already on the list, storing nothing', async () => {
    await expect(addSubscriber(settings, { email: 'Jane Doe <jane@example.com>' })).rejects.toMatchObject({
      message: 'invalid address: "Jane Doe <jane@example.com>" looks like a name with an address; put only the address (name@example.com) in the email field',
      exitCode: EXIT.error,
    });
    await addSubscriber(settings, { email: 'jane@example.com' });
    await expect(addSubscriber(settings, { email: 'JANE@example.com' })).rejects.toMatchObject({ message: 'jane@example.com is already on the list (status: active)', exitCode: EXIT.error });
    expect((await list()).rows).toHaveLength(1);
  });

  it('exports formula-safe CSV, all or by status, counting the rows', async () => {
    await addSubscriber(settings, { email: '-dash@example.com', name: '=HYPERLINK("http://evil.example")' });
    await addSubscriber(settings, { email: 'jane@example.com', name: 'Doe, Jane' });
    await unsubscribeSubscriber(settings, { email: 'jane@example.com' });
    const all = await exportCsv();
    expect(all.count).toBe(2);
    expect(all.text.split('\r\n').slice(0, 3)).toEqual([
      '\uFEFFemail,name,status,created_at,unsubscribed_at',
      expect.stringMatching(/^'-dash@example\.com,"'=HYPERLINK\(""http:\/\/evil\.example""\)",active,\d{4}-/),
      expect.stringMatching(/^jane@example\.com,"Doe, Jane",unsubscribed,\d{4}-.*,\d{4}-/),
    ]);
    const active = await exportCsv('active');
    expect(active.count).toBe(1);
    expect(active.text.split('\r\n')).toHaveLength(3);
  });
});
