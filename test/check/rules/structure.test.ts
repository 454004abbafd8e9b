import { describe, expect, it } from 'vitest';
import { parseCheckedMessage } from '../../../src/check/rules/checked-message.js';
import { checkStructure } from '../../../src/check/rules/structure.js';
import { composeTemplate, personalizeMessage } from '../../../src/core/message/compose.js';
import { UNSUBSCRIBE_TOKEN_MARKER } from '../../../src/core/message/placeholders.js';

const HEADLINE = 'Klarna Memperingatkan Resesi';
const SECTION = 'Dari Efisiensi ke Peringatan';
const PREHEADER = 'Sebastian Siemiatkowski menilai PHK akibat AI bisa memicu resesi.';
const PUBLIC_URL = 'https://news.fintechweekly.example';
const TOKEN = '1.abcdefghijklmnopqrstuvwxyz012345';
const UNSUBSCRIBE_URL = `${PUBLIC_URL}/u/${TOKEN}`;

const html = `<!doctype html><html><body>
<div style="display:none">${PREHEADER}</div>
<h1>${HEADLINE}</h1><p>CEO Klarna berbicara tentang dampak ekonomi AI pada pekerjaan kantor.</p>
<h2>${SECTION}</h2><p>Klarna mengganti pekerjaan 700 agen dengan asisten virtual.</p>
<p><a href="${PUBLIC_URL}/u/${UNSUBSCRIBE_TOKEN_MARKER}">Berhenti berlangganan</a></p>
</body></html>`;
const text = `${HEADLINE.toUpperCase()}\n\nCEO Klarna berbicara tentang dampak ekonomi AI pada pekerjaan kantor.\n\n${SECTION.toUpperCase()}\n\nKlarna mengganti pekerjaan 700 agen dengan asisten virtual.\n\nBerhenti berlangganan: ${PUBLIC_URL}/u/${UNSUBSCRIBE_TOKEN_MARKER}\n`;

function composed(overrides: { text?: string; replyTo?: string | undefined; subject?: string } = {}): string {
  const template = composeTemplate(
    { slug: 'klarna', subject: overrides.subject ?? 'CEO Klarna: PHK akibat AI bisa memicu resesi', html, text: overrides.text ?? text },
    {
      sender: { fromName: 'FinTech Weekly', fromEmail: 'newsletter@fintechweekly.example', replyTo: 'replyTo' in overrides ? overrides.replyTo : 'editor@fintechweekly.example' },
      publicUrl: PUBLIC_URL,
      date: new Date('2026-11-27T08:00:00Z'),
    },
  );
  return personalizeMessage(template, { email: 'subscriber@example.com', messageId: '<klarna.abc@fintechweekly.example>', token: TOKEN }).raw.toString('utf8');
}

async function structure(raw: string, preheader = PREHEADER) {
  return checkStructure(await parseCheckedMessage(raw), { headline: HEADLINE, preheader });
}

describe('structure check', () => {
  it('passes a composed newsletter message', async () => {
    const result = await structure(composed());
    expect(result.findings).toEqual([]);
    expect(result.status).toBe('pass');
  });

  it('fails an HTML-only message: no multipart/alternative, no text part', async () => {
    const raw = [
      'From: FinTech Weekly <newsletter@fintechweekly.example>',
      'Reply-To: editor@fintechweekly.example',
      'To: subscriber@example.com',
      'Subject: CEO Klarna: PHK akibat AI bisa memicu resesi',
      'Date: Fri, 27 Nov 2026 08:00:00 +0000',
      'Message-ID: <klarna.abc@fintechweekly.example>',
      `List-Unsubscribe: <${UNSUBSCRIBE_URL}>`,
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      '',
      html.replace(UNSUBSCRIBE_TOKEN_MARKER, TOKEN),
    ].join('\r\n');
    const result = await structure(raw);
    expect(result.status).toBe('fail');
    const messages = result.findings.map((f) => f.message);
    expect(messages).toContain('the message is text/html, not multipart/alternative with a text and an HTML part');
    expect(messages.some((m) => m.startsWith('there is no text/plain part'))).toBe(true);
    expect(result.reason).toMatch(/text\/html, not multipart\/alternative/);
  });

  it('fails a message without the unsubscribe headers', async () => {
    const raw = composed().replace(/^List-Unsubscribe:.*\r\n/m, '').replace(/^List-Unsubscribe-Post:.*\r\n/m, '');
    expect(raw).not.toContain('List-Unsubscribe');
    const result = await structure(raw);
    expect(result.status).toBe('fail');
    const messages = result.findings.map((f) => f.message);
    expect(messages.some((m) => m.startsWith('no List-Unsubscribe header'))).toBe(true);
    expect(messages.some((m) => m.startsWith('no List-Unsubscribe-Post header'))).toBe(true);
  });

  it('fails List-Unsubscribe without an https URL, and a wrong List-Unsubscribe-Post', async () => {
    const raw = composed()
      .replace(/^List-Unsubscribe: .*\r\n/m, 'List-Unsubscribe: <mailto:unsubscribe@fintechweekly.example>\r\n')
      .replace('List-Unsubscribe=One-Click', 'List-Unsubscribe=Maybe');
    const messages = (await structure(raw)).findings.map((f) => f.message);
    expect(messages.some((m) => m.startsWith('List-Unsubscribe has no https URL'))).toBe(true);
    expect(messages).toContain('List-Unsubscribe-Post is "List-Unsubscribe=Maybe", expected "List-Unsubscribe=One-Click"');
  });

  it('fails a text part that lost a section or the unsubscribe link', async () => {
    const lost = text.replace(SECTION.toUpperCase(), '').replace(/Berhenti berlangganan: .*\n/, '');
    const result = await structure(composed({ text: lost }));
    expect(result.status).toBe('fail');
    const messages = result.findings.map((f) => f.message);
    expect(messages).toContain(`the text part lacks what the HTML shows: "${SECTION}"`);
    expect(messages).toContain(`the text part does not show the unsubscribe URL ${UNSUBSCRIBE_URL}`);
  });

  it('fails when the HTML has no visible unsubscribe link', async () => {
    const raw = composed().replace(/href=3D"https:\/\/news\.fintechweekly\.example\/u\/=\r\n/, 'href=3D"https://elsewhere.example/x/=\r\n');
    const messages = (await structure(raw)).findings.map((f) => f.message);
    expect(messages).toContain(`the HTML has no visible link to the unsubscribe URL ${UNSUBSCRIBE_URL}`);
  });

  it('fails without From, Date or Message-ID, and warns without Reply-To', async () => {
    const raw = composed({ replyTo: undefined }).replace(/^Date:.*\r\n/m, '').replace(/^Message-ID:.*\r\n/m, '');
    const result = await structure(raw);
    const byMessage = new Map(result.findings.map((f) => [f.message, f.status]));
    expect(byMessage.get('no Date header')).toBe('fail');
    expect(byMessage.get('no Message-ID header')).toBe('fail');
    expect(byMessage.get('no Reply-To header: set sender.replyTo in the config so replies reach a person')).toBe('warn');
  });

  it('warns about a long or shouting subject and a missing preheader', async () => {
    const long = await structure(composed({ subject: 'Laporan '.repeat(12).trim() }), '');
    expect(long.status).toBe('warn');
    const messages = long.findings.map((f) => f.message);
    expect(messages.some((m) => m.startsWith('the subject has 95 characters'))).toBe(true);
    expect(messages.some((m) => m.startsWith('there is no preheader'))).toBe(true);
    const caps = await structure(composed({ subject: 'FREE MONEY NOW' }));
    expect(caps.findings.map((f) => f.message)).toContain('the subject is in capitals, which reads as shouting and as spam');
  });
});
