import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { raw } from '../helpers/raw-request.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { until } from '../helpers/until.js';
import { address, ISSUE, sendProject, type SendProject } from './send-project.js';

/**
 * The sign-up form end to end: the built CLI's `serve` process, a real SMTP server on loopback,
 * and a real browser (Debian's Chromium through playwright-core) at a phone's width, 375 px.
 * FW_SCREENSHOTS=DIR keeps the screenshots of the form and the confirmation email there.
 */

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function setup(options: { subscribers?: number; smtpUrl?: string } = {}): Promise<{ sink: SmtpSink; project: SendProject }> {
  const sink = await startSmtpSink();
  cleanups.push(() => sink.close());
  const project = sendProject({ subscribers: options.subscribers ?? 0, smtpUrl: options.smtpUrl ?? sink.url });
  cleanups.push(() => project.remove());
  return { sink, project };
}

async function serve(project: SendProject, env?: NodeJS.ProcessEnv): Promise<ServeProcess> {
  const process = await startServe(() => project.spawn(['serve', '--port', '0'], env));
  cleanups.push(() => process.stop());
  return process;
}

const statusOf = (project: SendProject, email: string) => project.sql<{ status: string }>('SELECT status FROM subscribers WHERE email = ?', email)[0]?.status;

/** The confirmation button's link, as a reader's mail app shows it. */
function confirmLink(message: SinkMessage): string {
  const link = /href="(https:\/\/news\.fintechweekly\.example\/confirm\/[^"]+)"/.exec(String(message.parsed?.html))?.[1];
  if (!link) throw new Error('no confirmation button in the email');
  return link;
}

function screenshotsDir(): string {
  const dir = process.env.FW_SCREENSHOTS ?? path.join(tmpdir(), 'fw-signup-screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Each case spawns serve (and Chromium) on a machine that other work shares: more than the default minute.
describe('sign-up through the serve process', { timeout: 180_000 }, () => {
  it('a reader fills in the form in Chromium at 375 px, gets the email, opens the link, presses the button, and is active', async () => {
    const { sink, project } = await setup();
    const server = await serve(project);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
    cleanups.push(() => browser.close());
    // No JavaScript: the form must work without it.
    const context = await browser.newContext({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, javaScriptEnabled: false });
    const page = await context.newPage();
    const shots = screenshotsDir();

    await page.goto(`${server.base}/subscribe`);
    const width = () => page.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth);
    expect(await width()).toBeLessThanOrEqual(375);
    await expect(page.getByRole('heading', { name: 'Berlangganan FinTech Weekly' }).isVisible()).resolves.toBe(true);
    // The honeypot is off-screen for people (bots read the HTML).
    const trap = await page.locator('input[name="website"]').boundingBox();
    expect((trap?.x ?? 0) + (trap?.width ?? 0)).toBeLessThan(0);
    const button = await page.getByRole('button', { name: 'Berlangganan' }).boundingBox();
    expect(button && button.x >= 0 && button.x + button.width <= 375).toBe(true);
    await page.screenshot({ path: path.join(shots, 'signup-form-375px.png'), fullPage: true });

    await page.getByLabel('Alamat email').fill('pembaca.baru@example.com');
    await page.getByLabel('Nama (opsional)').fill('Pembaca Baru');
    await page.getByRole('button', { name: 'Berlangganan' }).click();
    await page.getByRole('heading', { name: 'Periksa kotak masuk Anda' }).waitFor();
    expect(statusOf(project, 'pembaca.baru@example.com')).toBe('pending');

    await until(() => sink.received('pembaca.baru@example.com').length === 1, 'the confirmation email');
    const email = sink.received('pembaca.baru@example.com')[0] as SinkMessage;
    expect(email.parsed?.subject).toBe('Konfirmasi langganan FinTech Weekly Anda');
    // How the email looks on the phone.
    const mail = await context.newPage();
    await mail.setContent(String(email.parsed?.html), { waitUntil: 'load' });
    expect(await mail.evaluate(() => (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await mail.screenshot({ path: path.join(shots, 'confirmation-email-375px.png'), fullPage: true });

    // The public URL leads to this server, as the reverse proxy in front of it would.
    const link = confirmLink(email);
    expect(link).toMatch(/^https:\/\/news\.fintechweekly\.example\/confirm\/[0-9]+\.[0-9a-z]+\.[A-Za-z0-9_-]{32}$/);
    await page.goto(link.replace('https://news.fintechweekly.example', server.base));
    await page.getByText('pembaca.baru@example.com').waitFor();
    expect(statusOf(project, 'pembaca.baru@example.com')).toBe('pending');
    await page.screenshot({ path: path.join(shots, 'confirm-page-375px.png'), fullPage: true });
    await page.getByRole('button', { name: 'Ya, saya ingin berlangganan' }).click();
    await page.getByRole('heading', { name: 'Langganan Anda aktif' }).waitFor();
    expect(statusOf(project, 'pembaca.baru@example.com')).toBe('active');
    expect(project.sql<{ name: string }>("SELECT name FROM subscribers WHERE email = 'pembaca.baru@example.com'")[0]?.name).toBe('Pembaca Baru');
    expect(server.log()).not.toMatch(/\/confirm\/[0-9]/);
  });

  it('a confirmation queued when serve stops is sent after it starts again', async () => {
    const refused = net.createServer();
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
    const deadPort = (refused.address() as net.AddressInfo).port;
    await new Promise((resolve) => refused.close(resolve));
    const { sink, project } = await setup({ smtpUrl: `smtp://127.0.0.1:${deadPort}` });
    const first = await serve(project);
    expect((await raw(first.base, 'POST', '/subscribe', 'email=patient%40example.com', FORM)).status).toBe(200);
    await until(() => /sign-up emails wait/.test(first.log()), 'serve to find the SMTP server down');
    expect(await first.stop()).toBe(0);
    expect(project.sql('SELECT mail_state FROM signups')).toEqual([{ mail_state: 'queued' }]);

    await serve(project, { FINTECHWEEKLY_SMTP_URL: sink.url });
    await until(() => sink.received('patient@example.com').length === 1, 'the queued confirmation after the restart');
    await until(() => project.sql<{ mail_state: string }>('SELECT mail_state FROM signups')[0]?.mail_state === 'sent', 'the outbox row');
  });

  it('the rest of the tool: pending in list and --json, no issue for pending, the consent record in show, purge-pending, the footer link', async () => {
    const { sink, project } = await setup({ subscribers: 2 });
    const server = await serve(project);
    expect((await raw(server.base, 'POST', '/subscribe', 'email=pending%40example.com&name=Belum+Konfirmasi&source=https%3A%2F%2Ffintechweekly.example%2Fartikel%3Futm%3Dx', FORM)).status).toBe(200);
    await until(() => sink.received('pending@example.com').length === 1, 'the confirmation');
    await server.stop();

    const list = await project.run(['subscribers', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toContainEqual(expect.objectContaining({ email: 'pending@example.com', status: 'pending' }));
    const text = await project.run(['subscribers', 'list', '--status', 'pending']);
    expect(text.stdout).toBe('pending@example.com\tpending\tBelum Konfirmasi\n');
    expect(text.stderr).toContain('3 subscribers: 2 active, 1 pending, 0 unsubscribed, 0 bounced');

    const show = await project.run(['subscribers', 'show', 'pending@example.com']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('status:        pending');
    expect(show.stdout).toContain('form page:          https://fintechweekly.example/artikel');
    expect(show.stdout).toContain('promise shown:      "Kami mengirim newsletter FinTech Weekly ke alamat ini sekali seminggu.');
    expect(show.stdout).toMatch(/confirmation email: sent \d{4}-/);
    expect(show.stdout).not.toContain('127.0.0.1');
    const shown = JSON.parse((await project.run(['subscribers', 'show', 'pending@example.com', '--json'])).stdout) as { consent: { kind: string; ipHash: string }[] };
    expect(shown.consent[0]).toMatchObject({ kind: 'signup', ipHash: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) });
    expect((await project.run(['subscribers', 'show', 'nobody@example.com'])).stderr).toContain('nobody@example.com is not on the subscriber list');

    // An issue goes to the active subscribers only.
    const before = sink.messages.length;
    const send = await project.run(['send', ISSUE, '--yes', '--force']);
    expect(send.code).toBe(0);
    expect(sink.messages.slice(before).map((m) => m.envelope.to[0]).sort()).toEqual([address(1), address(2)]);
    // Its footer's "Berlangganan" link leads to the form.
    expect(String(sink.messages.at(-1)?.parsed?.html)).toContain('href="https://news.fintechweekly.example/subscribe"');

    // An import: the editor vouches, and the record says so. A "pending" row cannot be imported.
    writeFileSync(path.join(project.dir, 'list.csv'), 'email,status\nimported@example.com,\nnotyet@example.com,pending\n');
    const imported = await project.run(['subscribers', 'import', 'list.csv']);
    expect(imported.stderr).toContain('list.csv:3: notyet@example.com: status "pending" is a sign-up that was never confirmed');
    expect((await project.run(['subscribers', 'show', 'imported@example.com'])).stdout).toContain('CSV import of list.csv on');

    const dry = await project.run(['subscribers', 'purge-pending', '--older-than', '7d']);
    expect(dry.stdout).toContain('0 pending sign-ups were removed and 0 were restored');
    const purge = await project.run(['subscribers', 'purge-pending', '--older-than', '0m', '--json']);
    expect(JSON.parse(purge.stdout)).toMatchObject({ removed: ['pending@example.com'], restored: [], dryRun: false });
    expect(statusOf(project, 'pending@example.com')).toBeUndefined();
    expect((await project.run(['subscribers', 'purge-pending', '--older-than', 'a week'])).stderr).toContain('--older-than must be a number and a unit');
  });

  it('without an SMTP server serve says the form needs one; with signup.enabled: false it runs without the form', async () => {
    const { project } = await setup();
    const refused = await project.run(['serve', '--port', '0'], { FINTECHWEEKLY_SMTP_URL: '' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error: the sign-up form sends confirmation emails, but no SMTP server is configured');
    expect(refused.stderr).toContain('signup.enabled: false');
    const config = path.join(project.dir, 'fintechweekly.config.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}signup:\n  enabled: false\n`);
    const server = await serve(project, { FINTECHWEEKLY_SMTP_URL: '' });
    expect((await raw(server.base, 'GET', '/subscribe')).status).toBe(404);
    expect((await raw(server.base, 'GET', '/')).body).not.toContain('/subscribe');
  });
});
