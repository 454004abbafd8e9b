import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { composeTemplate, headerBlock, personalizeMessage, type ComposeContent, type ComposeOptions } from '../../../src/core/message/compose.js';
import { FintechWeeklyError } from '../../../src/core/errors.js';
import { deliveryMessageId, derivedMessageId, isGuessableMessageId } from '../../../src/core/message/message-id.js';
import { UNSUBSCRIBE_TOKEN_MARKER as M } from '../../../src/core/message/placeholders.js';

const options: ComposeOptions = {
  sender: { fromName: 'FinTech Weekly', fromEmail: 'newsletter@fintechweekly.example', replyTo: 'editor@fintechweekly.example' },
  publicUrl: 'https://news.fintechweekly.example/',
  unsubscribeMailto: 'unsubscribe@fintechweekly.example',
  date: new Date('2026-11-27T01:02:03Z'),
};

// Markers where QP is most fragile: at the very start and end, adjacent, after a space, inside a
// line far longer than 76 characters, next to non-ASCII text and an "=" sign.
const html = `${M}<p>Halo  ${M}</p><a href="https://news.fintechweekly.example/u/${M}">Berhenti berlangganan</a>${'ä'.repeat(60)}${M}${M}=${'x'.repeat(200)} ${M} ${M}`;
const text = `Berhenti: https://news.fintechweekly.example/u/${M}\nbaris kedua ${'é'.repeat(90)}\n${M}`;
const content: ComposeContent = { slug: '2026-11-27-klarna', subject: 'CEO Klarna: PHK akibat AI bisa memicu resesi — “kata” dia', html, text };
const token = '42.AbC-dEf_0123456789abcdefghijklmnopq';
const SITI_ID = '<2026-11-27-klarna.fedcba9876543210fedcba9876543210@fintechweekly.example>';

function recipient(extra: Partial<Parameters<typeof personalizeMessage>[1]> = {}) {
  return { email: 'reader@example.com', name: 'Budi Santoso', messageId: '<2026-11-27-klarna.0123456789abcdef0123456789abcdef@fintechweekly.example>', token, ...extra };
}

describe('composeTemplate + personalizeMessage', () => {
  it('puts the token everywhere the marker was, and the quoted-printable stays valid', async () => {
    const { raw } = personalizeMessage(composeTemplate(content, options), recipient());
    const source = raw.toString('latin1');
    expect(source).not.toMatch(/[^\r]\n/); // CRLF only
    const bodyLines = source.slice(source.indexOf('\r\n\r\n')).split('\r\n');
    expect(bodyLines.filter((l) => l.length > 76)).toEqual([]);
    const parsed = await simpleParser(raw);
    expect(parsed.html).toBe(html.replaceAll(M, token));
    expect(parsed.text).toBe(text.replaceAll(M, token));
    expect(parsed.subject).toBe(content.subject);
  });

  it('writes the headers a list message needs, with the recipient in To and the token in List-Unsubscribe', async () => {
    const { raw, envelope } = personalizeMessage(composeTemplate(content, options), recipient({ name: 'Siti Ümit', email: 'siti@example.co.id', messageId: SITI_ID }));
    expect(envelope).toEqual({ from: 'newsletter@fintechweekly.example', to: ['siti@example.co.id'] });
    const headers = headerBlock(raw);
    expect(headers).toContain(`List-Unsubscribe: <https://news.fintechweekly.example/u/${token}>,\n <mailto:unsubscribe@fintechweekly.example?subject=unsubscribe%20${token}>`);
    expect(headers).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headers).toContain('List-Id: FinTech Weekly <newsletter.fintechweekly.example>');
    expect(headers).toContain('Date: Fri, 27 Nov 2026 01:02:03 +0000');
    expect(headers).toContain('Reply-To: editor@fintechweekly.example');
    expect(headers).toContain('MIME-Version: 1.0');
    const parsed = await simpleParser(raw);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0] : undefined).toEqual({ name: 'Siti Ümit', address: 'siti@example.co.id' });
    expect(parsed.messageId).toBe(SITI_ID);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
  });

  it('prefixes a test send\'s subject with [TEST] and keeps everything else', async () => {
    const parsed = await simpleParser(personalizeMessage(composeTemplate(content, { ...options, test: true }), recipient()).raw);
    expect(parsed.subject).toBe(`[TEST] ${content.subject}`);
  });

  it('uses a configured List-Id and leaves out the mailto link when none is configured', () => {
    const headers = headerBlock(personalizeMessage(composeTemplate(content, { ...options, listId: 'Weekly <weekly.fintechweekly.example>', unsubscribeMailto: undefined }), recipient()).raw);
    expect(headers).toContain('List-Id: Weekly <weekly.fintechweekly.example>');
    expect(headers).not.toContain('mailto:');
  });

  it('refuses editor-supplied header values with a line break, naming the field', () => {
    const injected = () => composeTemplate({ ...content, subject: 'Hello\r\nBcc: everyone@example.com' }, options);
    expect(injected).toThrow(FintechWeeklyError);
    expect(injected).toThrow(/subject contains a line break/);
    expect(() => composeTemplate(content, { ...options, sender: { ...options.sender, fromName: 'FinTech\nWeekly' } })).toThrow(/sender.fromName/);
  });

  it('cannot be made to start a header through a subscriber name', async () => {
    const { raw } = personalizeMessage(composeTemplate(content, options), recipient({ name: 'Eve\r\nBcc: all@example.com' }));
    const parsed = await simpleParser(raw);
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0]?.name : '').toBe('Eve Bcc: all@example.com');
  });

  it('gives each delivery a Message-ID nobody can compute (the send log keeps it for retries); the old derivation is recognised', () => {
    const a = deliveryMessageId('2026-11-27-klarna', 'newsletter@fintechweekly.example');
    expect(a).toMatch(/^<2026-11-27-klarna\.[0-9a-f]{32}@fintechweekly\.example>$/);
    expect(a).not.toBe(deliveryMessageId('2026-11-27-klarna', 'newsletter@fintechweekly.example'));
    expect(isGuessableMessageId(a, '2026-11-27-klarna', 'reader@example.com')).toBe(false);
    // Confirmations keep the derived id (retried without a stored one); old send logs hold such ids for deliveries.
    const old = derivedMessageId('2026-11-27-klarna', 'Reader@Example.com', 'newsletter@fintechweekly.example');
    expect(old).toBe(derivedMessageId('2026-11-27-klarna', 'reader@example.com', 'newsletter@fintechweekly.example'));
    expect(old).toMatch(/^<2026-11-27-klarna\.[A-Za-z0-9]{22}@fintechweekly\.example>$/);
    expect(isGuessableMessageId(old, '2026-11-27-klarna', 'reader@example.com')).toBe(true);
    expect(isGuessableMessageId(old.replace('fintechweekly.example', 'other.example'), '2026-11-27-klarna', 'READER@example.com')).toBe(true);
    expect(isGuessableMessageId(old, '2026-12-04-next', 'reader@example.com')).toBe(false);
  });
});
