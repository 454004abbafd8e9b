import { describe, expect, it } from 'vitest';
import { composeTemplate, personalizeMessage } from '../../../src/core/message/compose.js';
import { UNSUBSCRIBE_TOKEN_MARKER } from '../../../src/core/message/placeholders.js';
import { createVerpToken, parseVerpToken, verifyVerpToken, verpAddress, verpTokenIn } from '../../../src/core/message/verp.js';

const SECRET = 'verp-secret';

describe('VERP tokens', () => {
  it('name one delivery, lower-case, and verify only for its address and the secret', () => {
    const token = createVerpToken(SECRET, 123456, 'Reader@Example.com');
    expect(token).toMatch(/^[0-9a-z]+-[a-z2-7]{16}$/);
    expect(parseVerpToken(token)).toEqual({ deliveryId: 123456 });
    expect(verifyVerpToken(SECRET, token, 123456, 'reader@example.com')).toBe(true);
    expect(verifyVerpToken(SECRET, token.toUpperCase(), 123456, 'reader@example.com')).toBe(true);
    expect(verifyVerpToken(SECRET, token, 123456, 'other@example.com')).toBe(false);
    expect(verifyVerpToken('another-secret', token, 123456, 'reader@example.com')).toBe(false);
    expect(verifyVerpToken(SECRET, token, 123457, 'reader@example.com')).toBe(false);
    expect(parseVerpToken('not-a-token')).toBeUndefined();
  });

  it('sit in <local>+<token>@<domain> and are read back only from that bounce address', () => {
    const address = verpAddress('bounces@fintechweekly.example', 'abc-aaaaaaaaaaaaaaaa');
    expect(address).toBe('bounces+abc-aaaaaaaaaaaaaaaa@fintechweekly.example');
    expect(verpTokenIn(address.toUpperCase(), 'bounces@fintechweekly.example')).toBe('abc-aaaaaaaaaaaaaaaa');
    expect(verpTokenIn('bounces+abc-aaaaaaaaaaaaaaaa@elsewhere.example', 'bounces@fintechweekly.example')).toBeUndefined();
    expect(verpTokenIn('bouncesx+abc@fintechweekly.example', 'bounces@fintechweekly.example')).toBeUndefined();
  });

  it("personalizeMessage puts the delivery's VERP address in the envelope only; the From header stays the sender's", () => {
    const template = composeTemplate(
      { slug: 'issue', subject: 'Issue', html: `<p>${UNSUBSCRIBE_TOKEN_MARKER}</p>`, text: UNSUBSCRIBE_TOKEN_MARKER },
      { sender: { fromName: 'FinTech Weekly', fromEmail: 'newsletter@fintechweekly.example' }, publicUrl: 'https://news.fintechweekly.example', date: new Date(0), bounce: { address: 'bounces@fintechweekly.example', secret: SECRET } },
    );
    const recipient = { email: 'reader@example.com', messageId: '<m@fintechweekly.example>', token: '1.abc' };
    const message = personalizeMessage(template, { ...recipient, deliveryId: 42 });
    expect(message.envelope.from).toBe(`bounces+${createVerpToken(SECRET, 42, 'reader@example.com')}@fintechweekly.example`);
    expect(message.raw.toString()).toMatch(/^From: FinTech Weekly <newsletter@fintechweekly\.example>\r\n/);
    // Mail that is no delivery (test sends) comes back to the bounce address itself.
    expect(personalizeMessage(template, recipient).envelope.from).toBe('bounces@fintechweekly.example');
  });
});
