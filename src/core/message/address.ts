import { domainToASCII } from 'node:url';

/**
 * Subscriber addresses and names, checked before they reach the store (and later a To header).
 * The address check is a practical subset of RFC 5322's addr-spec, the part real mailboxes use:
 * a dot-atom local part in ASCII (quoted local parts and SMTPUTF8 mailboxes are valid on paper
 * but rejected by most relays) and a host name with at least one dot, IDN allowed.
 */
export type EmailCheck = { ok: true; email: string } | { ok: false; reason: string };
export type NameCheck = { ok: true; name: string | undefined } | { ok: false; reason: string };

// RFC 5321 limits: 64 octets before the @, 254 for the whole path (256 minus the angle brackets).
export const MAX_LOCAL_LENGTH = 64;
export const MAX_EMAIL_LENGTH = 254;
export const MAX_NAME_LENGTH = 100;

const ATEXT = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const UNSAFE = /[\r\n\0]/;
// Tab, the other C0 controls and DEL: invisible in a spreadsheet, trouble in a header.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0001-\u0009\u000b\u000c\u000e-\u001f\u007f]/;

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** Trims, lower-cases and validates an address; the reason says what to fix, in an editor's words. */
export function normalizeEmail(raw: string): EmailCheck {
  const email = raw.trim().normalize('NFC').toLowerCase();
  if (email === '') return fail('the email address is empty');
  if (UNSAFE.test(email)) return fail('the email address contains a line break or NUL character');
  if (/[<>]/.test(email)) return fail(`"${raw.trim()}" looks like a name with an address; put only the address (name@example.com) in the email field`);
  if (/\s/.test(email)) return fail(`"${email}" contains a space`);
  if (CONTROL.test(email)) return fail(`"${email}" contains an invisible control character`);
  const at = email.indexOf('@');
  if (at === -1) return fail(`"${email}" has no @`);
  if (email.indexOf('@', at + 1) !== -1) return fail(`"${email}" has more than one @`);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local === '') return fail(`"${email}" has nothing before the @`);
  if (domain === '') return fail(`"${email}" has nothing after the @`);
  const localProblem = checkLocalPart(local);
  if (localProblem) return fail(`"${email}": ${localProblem}`);
  const domainProblem = checkDomain(domain);
  if (domainProblem) return fail(`"${email}": ${domainProblem}`);
  if (email.length > MAX_EMAIL_LENGTH) return fail(`"${email.slice(0, 40)}..." is longer than ${MAX_EMAIL_LENGTH} characters`);
  return { ok: true, email };
}

function checkLocalPart(local: string): string | undefined {
  if (local.length > MAX_LOCAL_LENGTH) return `the part before the @ is longer than ${MAX_LOCAL_LENGTH} characters`;
  if (local.startsWith('"')) return 'addresses with a quoted part before the @ ("...") are not supported';
  for (const char of local) {
    if (char === '.') continue;
    if (char.charCodeAt(0) > 0x7f) return `the part before the @ contains "${char}"; only ASCII letters, digits and . _ - + are accepted there`;
    if (!ATEXT.test(char)) return `the part before the @ contains "${char}", which is not allowed in an address`;
  }
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return 'the part before the @ starts or ends with a dot, or has two dots in a row';
  }
  return undefined;
}

function checkDomain(domain: string): string | undefined {
  if (domain.startsWith('[')) return 'addresses at an IP address ([...]) are not accepted; use a domain name';
  if (!domain.includes('.')) return `the domain "${domain}" has no dot (expected something like example.com)`;
  // IDN: validate the ASCII (punycode) form, which is what DNS and SMTP see; store what the editor wrote.
  const ascii = domainToASCII(domain);
  const labels = ascii.split('.');
  if (ascii === '' || ascii.length > 253 || !labels.every((label) => LABEL.test(label))) {
    return `the domain "${domain}" is not a valid domain name`;
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1] as string)) return `the domain "${domain}" ends in a number; expected a name like .com`;
  return undefined;
}

/**
 * A subscriber's display name goes into the To header: one line, no control characters, bounded.
 * Empty means no name.
 */
export function normalizeName(raw: string | undefined | null): NameCheck {
  const name = (raw ?? '').trim().normalize('NFC');
  if (name === '') return { ok: true, name: undefined };
  if (UNSAFE.test(name)) return fail('the name contains a line break or NUL character; put it on one line');
  if (CONTROL.test(name)) return fail('the name contains an invisible control character');
  if ([...name].length > MAX_NAME_LENGTH) return fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  return { ok: true, name };
}
