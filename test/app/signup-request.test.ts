import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { confirmSignup, inspectConfirmation } from '../../src/app/signup-confirm.js';
import { purgePending, showSubscriber } from '../../src/app/signup-records.js';
import { requestSignups, type SignupInput, type SignupPolicy } from '../../src/app/signup-request.js';
import { createConfirmToken, parseConfirmToken } from '../../src/core/message/confirm-token.js';
import { addSubscriber, getSubscriberByEmail, unsubscribe } from '../../src/store/subscribers.js';
import { importSubscriberFile } from '../../src/app/import-subscribers.js';
import { SECRET, signupProject, type SignupProject } from './signup-project.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PROMISE = 'Kami mengirim newsletter FinTech Weekly ke alamat ini sekali seminggu.';
const policy: SignupPolicy = { secret: SECRET, confirmHours: 48, perIpPer10Minutes: 5, promise: PROMISE };

let project: SignupProject;
beforeEach(() => {
  project = signupProject();
});
afterEach(() => project.remove());

let nextIp = 1;
const form = (email: string, extra: Partial<SignupInput> = {}): SignupInput => {
  const ip = extra.ip ?? `198.51.100.${nextIp++ % 250}`;
  return { email, name: '', honeypot: '', sourcePage: 'https://news.fintechweekly.example/subscribe', ip, rateKey: extra.rateKey ?? ip, ...extra };
};
const submit = (...inputs: SignupInput[]) => requestSignups(project.db, policy, inputs, project.clock.now);
const count = (table: string) => project.sql<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`)[0]?.n;
const status = (email: string) => getSubscriberByEmail(project.db, email)?.status;
/** The token the confirmation email of this sign-up carries (the mailer makes it the same way). */
const tokenOf = (signupId: number) => {
  const row = project.sql<{ email: string; expires_at: string }>('SELECT email, expires_at FROM signups WHERE id = ?', signupId)[0];
  if (!row) throw new Error(`no sign-up #${signupId}`);
  return createConfirmToken(SECRET, signupId, row.email, new Date(row.expires_at));
};

describe('requestSignups', () => {
  it('a new address becomes pending with a consent record and one queued confirmation; the raw IP is never stored', () => {
    const [report] = submit(form(' Reader@Example.com ', { name: 'Pembaca Setia', ip: '203.0.113.9', rateKey: '203.0.113.9' }));
    expect(report?.decision).toBe('queued');
    const subscriber = getSubscriberByEmail(project.db, 'reader@example.com');
    expect(subscriber).toMatchObject({ status: 'pending', source: 'signup', name: 'Pembaca Setia' });
    const [signup] = project.sql<Record<string, unknown>>('SELECT * FROM signups');
    expect(signup).toMatchObject({
      email: 'reader@example.com',
      source_page: 'https://news.fintechweekly.example/subscribe',
      promise: PROMISE,
      requested_at: '2026-12-02T03:00:00.000Z',
      expires_at: '2026-12-04T03:00:00.000Z',
      confirmed_at: null,
      mail_state: 'queued',
      previous_status: null,
    });
    expect(String(signup?.ip_hash)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const everything = JSON.stringify([project.sql('SELECT * FROM signups'), project.sql('SELECT * FROM signup_attempts')]);
    expect(everything).not.toContain('203.0.113.9');
  });

  it('the honeypot: nothing is stored, not even the attempt', () => {
    expect(submit(form('bot@example.com', { honeypot: 'https://spam.example' }))[0]?.decision).toBe('honeypot');
    expect([count('subscribers'), count('signups'), count('signup_attempts')]).toEqual([0, 0, 0]);
  });

  it('an active subscriber stays active and is sent nothing, however often the form is sent', () => {
    addSubscriber(project.db, { email: 'loyal@example.com', name: 'Loyal Reader' });
    for (let i = 0; i < 5; i++) {
      expect(submit(form('loyal@example.com', { name: 'Someone Else' }))[0]?.decision).toBe('already-active');
      project.clock.advance(11 * MINUTE);
    }
    expect(getSubscriberByEmail(project.db, 'loyal@example.com')).toMatchObject({ status: 'active', name: 'Loyal Reader' });
    expect(count('signups')).toBe(0);
  });

  it('per address: one confirmation email per 10 minutes and three per day, whatever the IPs', () => {
    const decisions = () => submit(...Array.from({ length: 12 }, () => form('target@example.com'))).map((r) => r.decision);
    expect(decisions()).toEqual(['queued', ...Array(11).fill('address-limit')]);
    project.clock.advance(9 * MINUTE);
    expect(decisions()).toEqual(Array(12).fill('address-limit'));
    project.clock.advance(2 * MINUTE);
    expect(decisions()[0]).toBe('queued');
    project.clock.advance(11 * MINUTE);
    expect(decisions()[0]).toBe('queued');
    project.clock.advance(11 * MINUTE);
    expect(decisions()).toEqual(Array(12).fill('address-limit'));
    expect(count('signups')).toBe(3);
    // A day after the first one, one more.
    project.clock.advance(24 * HOUR - 33 * MINUTE + 1);
    expect(decisions()[0]).toBe('queued');
    expect(count('signups')).toBe(4);
  });

  it('per IP: a few sign-ups per 10 minutes; an IPv6 /64 counts as one; other IPs are not affected', () => {
    const fromOneIp = Array.from({ length: 20 }, (_, i) => form(`reader${i}@example.com`, { ip: '203.0.113.50', rateKey: '203.0.113.50' }));
    const decisions = submit(...fromOneIp).map((r) => r.decision);
    expect(decisions.filter((d) => d === 'queued')).toHaveLength(5);
    expect(decisions.slice(5)).toEqual(Array(15).fill('ip-limit'));
    // Over the limit nothing is stored for those addresses.
    expect(getSubscriberByEmail(project.db, 'reader5@example.com')).toBeUndefined();
    expect(submit(form('other@example.com', { ip: '203.0.113.51', rateKey: '203.0.113.51' }))[0]?.decision).toBe('queued');
    const v6 = Array.from({ length: 7 }, (_, i) => form(`six${i}@example.com`, { ip: `2001:db8:1:2::${i + 1}`, rateKey: '2001:db8:1:2::/64' }));
    expect(submit(...v6).map((r) => r.decision)).toEqual([...Array(5).fill('queued'), 'ip-limit', 'ip-limit']);
    project.clock.advance(10 * MINUTE + 1);
    expect(submit(form('later@example.com', { ip: '203.0.113.50', rateKey: '203.0.113.50' }))[0]?.decision).toBe('queued');
  });

  it('the limits are in the store: they hold after a restart', () => {
    submit(...Array.from({ length: 5 }, (_, i) => form(`r${i}@example.com`, { ip: '192.0.2.7', rateKey: '192.0.2.7' })));
    submit(form('again@example.com'));
    project.reopen();
    expect(submit(form('r9@example.com', { ip: '192.0.2.7', rateKey: '192.0.2.7' }))[0]?.decision).toBe('ip-limit');
    expect(submit(form('again@example.com'))[0]?.decision).toBe('address-limit');
  });

  it('bad input is refused before anything is stored', () => {
    expect(submit(form('not-an-address'), form('x@example.com', { name: 'a\nBcc: victim@example.com' })).map((r) => r.decision)).toEqual(['invalid', 'invalid']);
    expect([count('subscribers'), count('signups'), count('signup_attempts')]).toEqual([0, 0, 0]);
  });
});

describe('confirmation', () => {
  it('inspecting changes nothing; confirming activates, records the time and applies the name; a second use is "used"', () => {
    const [report] = submit(form('reader@example.com', { name: 'Ayu' }));
    const token = tokenOf(report?.signupId as number);
    for (let i = 0; i < 3; i++) expect(inspectConfirmation(project.db, SECRET, token, project.clock.now)).toEqual({ kind: 'ready', email: 'reader@example.com' });
    expect(status('reader@example.com')).toBe('pending');
    project.clock.advance(5 * MINUTE);
    expect(confirmSignup(project.db, SECRET, token, project.clock.now)).toMatchObject({ kind: 'confirmed' });
    expect(getSubscriberByEmail(project.db, 'reader@example.com')).toMatchObject({ status: 'active', name: 'Ayu', unsubscribed_at: null });
    expect(project.sql<{ confirmed_at: string }>('SELECT confirmed_at FROM signups')[0]?.confirmed_at).toBe('2026-12-02T03:05:00.000Z');
    expect(confirmSignup(project.db, SECRET, token, project.clock.now)).toEqual({ kind: 'used' });
    expect(inspectConfirmation(project.db, SECRET, token, project.clock.now)).toEqual({ kind: 'used' });
  });

  it('forged tokens are invalid and change nothing: another secret, another address, a changed expiry, a flipped mac, garbage', () => {
    const [report] = submit(form('reader@example.com'));
    const id = report?.signupId as number;
    const good = tokenOf(id);
    const claim = parseConfirmToken(good);
    const later = new Date((claim?.expiresAt.getTime() ?? 0) + 7 * 24 * HOUR);
    const [, exp, mac] = good.split('.') as [string, string, string];
    const forged = [
      createConfirmToken('another-secret', id, 'reader@example.com', claim?.expiresAt as Date),
      createConfirmToken(SECRET, id, 'attacker@example.com', claim?.expiresAt as Date),
      `${id}.${Math.floor(later.getTime() / 1000).toString(36)}.${mac}`,
      `${id}.${exp}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`,
      `${id + 1}.${exp}.${mac}`,
      'garbage',
      '',
    ];
    for (const token of forged) {
      expect(inspectConfirmation(project.db, SECRET, token, project.clock.now), token).toEqual({ kind: 'invalid' });
      expect(confirmSignup(project.db, SECRET, token, project.clock.now), token).toEqual({ kind: 'invalid' });
    }
    expect(status('reader@example.com')).toBe('pending');
  });

  it('an expired token (48 hours by default) confirms nothing', () => {
    const [report] = submit(form('late@example.com'));
    const token = tokenOf(report?.signupId as number);
    project.clock.advance(48 * HOUR);
    expect(inspectConfirmation(project.db, SECRET, token, project.clock.now)).toEqual({ kind: 'expired' });
    expect(confirmSignup(project.db, SECRET, token, project.clock.now)).toEqual({ kind: 'expired' });
    expect(status('late@example.com')).toBe('pending');
  });

  it('unsubscribed, then signed up again: pending until confirmed, and a stranger\'s name never sticks without confirmation', () => {
    const s = addSubscriber(project.db, { email: 'back@example.com', name: 'Original Name' });
    unsubscribe(project.db, s.id);
    const [report] = submit(form('back@example.com', { name: 'Spam Text Here' }));
    expect(report?.decision).toBe('queued');
    expect(getSubscriberByEmail(project.db, 'back@example.com')).toMatchObject({ status: 'pending', name: 'Original Name' });
    expect(project.sql<{ previous_status: string }>('SELECT previous_status FROM signups')[0]?.previous_status).toBe('unsubscribed');
    expect(confirmSignup(project.db, SECRET, tokenOf(report?.signupId as number), project.clock.now).kind).toBe('confirmed');
    expect(getSubscriberByEmail(project.db, 'back@example.com')).toMatchObject({ status: 'active', name: 'Spam Text Here', unsubscribed_at: null });
  });

  it('a reader who unsubscribes through the confirmation email ("not me") cannot be confirmed with that link', () => {
    const [report] = submit(form('notme@example.com'));
    unsubscribe(project.db, report?.subscriberId as number);
    expect(confirmSignup(project.db, SECRET, tokenOf(report?.signupId as number), project.clock.now)).toEqual({ kind: 'invalid' });
    expect(status('notme@example.com')).toBe('unsubscribed');
  });
});

describe('purge-pending and the consent record', () => {
  it('removes new sign-ups never confirmed, gives opt-outs their status back, leaves recent ones and everyone else', () => {
    const gone = addSubscriber(project.db, { email: 'gone@example.com' });
    unsubscribe(project.db, gone.id);
    const bounced = addSubscriber(project.db, { email: 'bounced@example.com' });
    project.db.prepare("UPDATE subscribers SET status = 'bounced' WHERE id = ?").run(bounced.id);
    addSubscriber(project.db, { email: 'active@example.com' });
    submit(form('stranger@example.com'), form('gone@example.com'), form('bounced@example.com'));
    // Signed up twice while pending: the second sign-up still remembers the opt-out.
    project.clock.advance(11 * MINUTE);
    submit(form('gone@example.com'));
    project.clock.advance(8 * 24 * HOUR);
    submit(form('fresh@example.com'));
    const dry = purgePending(project.db, { olderThanMs: 7 * 24 * HOUR, now: project.clock.now, dryRun: true });
    expect(dry).toMatchObject({ removed: ['stranger@example.com'], restored: [{ email: 'gone@example.com', status: 'unsubscribed' }, { email: 'bounced@example.com', status: 'bounced' }] });
    expect(status('stranger@example.com')).toBe('pending');
    const report = purgePending(project.db, { olderThanMs: 7 * 24 * HOUR, now: project.clock.now, dryRun: false });
    expect(report.removed).toEqual(['stranger@example.com']);
    expect([status('stranger@example.com'), status('gone@example.com'), status('bounced@example.com'), status('fresh@example.com'), status('active@example.com')]).toEqual([undefined, 'unsubscribed', 'bounced', 'pending', 'active']);
    expect(getSubscriberByEmail(project.db, 'gone@example.com')?.unsubscribed_at).not.toBeNull();
    expect(project.sql<{ email: string }>('SELECT email FROM signups ORDER BY id').map((r) => r.email)).toEqual(['fresh@example.com']);
  });

  it('shows each sign-up with its source page, IP hash, promise and confirmation; an import says the editor vouched', async () => {
    const [report] = submit(form('reader@example.com', { sourcePage: 'https://fintechweekly.example/' }));
    project.clock.advance(HOUR);
    confirmSignup(project.db, SECRET, tokenOf(report?.signupId as number), project.clock.now);
    const record = showSubscriber(project.db, 'Reader@example.com');
    expect(record?.subscriber.status).toBe('active');
    expect(record?.consent).toEqual([
      expect.objectContaining({ kind: 'signup', sourcePage: 'https://fintechweekly.example/', promise: PROMISE, requestedAt: '2026-12-02T03:00:00.000Z', confirmedAt: '2026-12-02T04:00:00.000Z' }),
    ]);
    writeFileSync(path.join(project.dir, 'list.csv'), 'email\nimported@example.com\n');
    await importSubscriberFile({ file: path.join(project.dir, 'list.csv') }, { db: project.db });
    expect(showSubscriber(project.db, 'imported@example.com')?.consent).toEqual([expect.objectContaining({ kind: 'import', file: 'list.csv' })]);
    expect(showSubscriber(project.db, 'nobody@example.com')).toBeUndefined();
  });
});
