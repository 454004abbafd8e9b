import * as z from 'zod/mini';
import { en } from 'zod/locales';

/*
 * zod/mini, not classic zod: every command validates the config before it does anything, and the
 * classic schema cost about 30 ms of a command's start (building the schema, then compiling its
 * parser on the first parse) against 4 ms for this one; the checks, issues and messages are the
 * same. Classic zod sets its English messages when it loads; mini leaves that to us.
 *
 * jitless: zod compiles a parser for each object schema on its first parse (new Function), which
 * pays off after many parses; a command parses the config once and each issue's front matter once
 * or twice. The setting is zod's, for the process: it reaches the front matter schema too, which is
 * built after the config has been read.
 */
z.config({ ...en(), jitless: true });

const noLineBreaks = (s: string) => !/[\r\n\0]/.test(s);
const nonEmpty = () => z.string().check(z.minLength(1));
const headerText = nonEmpty().check(z.refine(noLineBreaks, 'must be on one line (no CR, LF or NUL)'));
const email = z.email('must be an email address like name@example.com').check(z.refine(noLineBreaks, 'must be on one line'));
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const color = z.string().check(z.regex(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/, 'must be a hex colour like #0b5cff'));
const number = (...checks: z.core.$ZodCheck<number>[]) => z.number().check(...checks);

/**
 * A zone name that Intl accepts. Listing the zones is cheap; the first Intl.DateTimeFormat of a
 * process loads ICU's locale data, which cost every command about 0.3x of `node -e 0` just to
 * check the config. So only a name not in the list (an alias such as UTC or US/Eastern) is tried
 * on a formatter: the same names pass as before.
 */
function isTimeZone(name: string): boolean {
  if (Intl.supportedValuesOf('timeZone').includes(name)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const LANGS = ['id', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** The sign-up form of `serve` (docs/signup.md). */
const signupSchema = z.prefault(
  z.strictObject({
    /** Off: serve answers no /subscribe or /confirm, and needs no SMTP server. */
    enabled: z._default(z.boolean(), true),
    /** A Markdown issue file (relative to the project) mailed once to each reader when they confirm. */
    welcome: z.optional(nonEmpty()),
    /** How long a confirmation link works. */
    confirmHours: z._default(number(z.gt(0), z.lte(720)), 48),
    /** Sign-ups accepted from one IP address (an IPv6 /64) per 10 minutes. */
    perIpPer10Minutes: z._default(number(z.int(), z.gte(1), z.lte(10_000)), 5),
  }),
  {},
);

export const configSchema = z.strictObject({
  brand: z.prefault(
    z.strictObject({
      name: z._default(headerText, 'FinTech Weekly'),
      tagline: z._default(nonEmpty(), 'Dibaca oleh eksekutif di JP Morgan, Coinbase, Blackrock, Klarna dan lainnya'),
      colors: z.prefault(
        z.strictObject({
          primary: z._default(color, '#0b5cff'),
          text: z._default(color, '#1f2933'),
          muted: z._default(color, '#6b7280'),
          background: z._default(color, '#f3f5f8'),
          surface: z._default(color, '#ffffff'),
        }),
        {},
      ),
      /** Absolute https URL of a logo image shown above the tagline. */
      logo: z.optional(z.url({ protocol: /^https$/, error: 'must be an https URL' })),
      logoAlt: z.optional(z.string()),
    }),
    {},
  ),
  sender: z.prefault(
    z.strictObject({
      fromName: z._default(headerText, 'FinTech Weekly'),
      fromEmail: z._default(email, 'newsletter@fintechweekly.example'),
      replyTo: z.optional(email),
      /** Postal line shown in the footer (CAN-SPAM and similar laws ask for one). */
      postalAddress: z._default(nonEmpty(), 'FinTech Weekly, Jl. Contoh No. 1, Jakarta 10110, Indonesia'),
    }),
    {},
  ),
  disclaimer: z._default(
    z.string(),
    'Halaman ini mungkin berisi konten pihak ketiga, yang disediakan untuk tujuan informasi saja (bukan pernyataan/jaminan) dan tidak boleh dianggap sebagai dukungan terhadap pandangannya, atau sebagai nasihat keuangan atau profesional.',
  ),
  lang: z._default(z.enum(LANGS, { error: `must be one of: ${LANGS.join(', ')}` }), 'id'),
  /** IANA zone in which schedule times without an offset are read. */
  timezone: z._default(z.string().check(z.refine(isTimeZone, 'must be an IANA time zone like Asia/Jakarta')), 'Asia/Jakarta'),
  /** Where `serve` is reachable from the internet: unsubscribe links and "view in browser" use it. */
  publicUrl: z._default(httpsUrl, 'https://news.fintechweekly.example'),
  /** List-Id header value, e.g. "FinTech Weekly <weekly.fintechweekly.example>". Default: from the sender's domain. */
  listId: z.optional(headerText),
  unsubscribeMailto: z.optional(email),
  template: z._default(z.string().check(z.regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be a folder name under templates/')), 'default'),
  paths: z.prefault(
    z.strictObject({
      issues: z._default(nonEmpty(), 'issues'),
      dist: z._default(nonEmpty(), 'dist'),
      templates: z._default(nonEmpty(), 'templates'),
    }),
    {},
  ),
  test: z.prefault(
    z.strictObject({
      recipients: z._default(z.array(email), []),
    }),
    {},
  ),
  smtp: z.prefault(
    z.strictObject({
      host: z.optional(nonEmpty()),
      port: z.optional(number(z.int(), z.gte(1), z.lte(65535))),
      /** Implicit TLS (port 465). Otherwise STARTTLS is required unless the host is loopback or allowPlain is set. */
      secure: z._default(z.boolean(), false),
      user: z.optional(nonEmpty()),
      /** Send without TLS to a non-loopback host. Only for relays on a trusted network. */
      allowPlain: z._default(z.boolean(), false),
      connections: z._default(number(z.int(), z.gte(1), z.lte(50)), 5),
      /** Messages per second across all connections. */
      rate: z._default(number(z.gt(0)), 50),
      /** Longest time one message may take, connection included. */
      messageTimeoutSeconds: z._default(number(z.gt(0)), 120),
    }),
    {},
  ),
  send: z.prefault(
    z.strictObject({
      /** Attempts per delivery for 4xx replies before it stays deferred for a later run. */
      maxAttempts: z._default(number(z.int(), z.gte(1), z.lte(20)), 4),
      /** First retry delay; doubles each attempt. */
      retryBaseSeconds: z._default(number(z.gte(0)), 30),
      retryMaxSeconds: z._default(number(z.gte(0)), 600),
    }),
    {},
  ),
  dkim: z.optional(
    z.strictObject({
      domain: nonEmpty(),
      selector: nonEmpty(),
      privateKeyPath: nonEmpty(),
      publicKeyPath: z.optional(nonEmpty()),
    }),
  ),
  check: z.prefault(
    z.strictObject({
      spamThreshold: z._default(z.number(), 2.0),
    }),
    {},
  ),
  serve: z.prefault(
    z.strictObject({
      port: z._default(number(z.int(), z.gte(0), z.lte(65535)), 8080),
      /**
       * Reverse proxies in front of serve: false (none: the socket's address is the reader's), true (one),
       * or how many. Only then is X-Forwarded-For read, from the right, that many entries deep.
       */
      trustProxy: z._default(z.union([z.boolean(), number(z.int(), z.gte(1), z.lte(10))], { error: 'must be true, false or the number of proxies (1-10)' }), false),
    }),
    {},
  ),
  bounce: z.prefault(
    z.strictObject({
      /** Envelope sender of every delivery, as `<local>+<token>@<domain>` (VERP); bounces come back to it. */
      address: z.optional(email.check(z.refine((a) => !a.slice(0, a.lastIndexOf('@')).includes('+'), 'must not contain "+" (the token goes after it)'))),
      /** Where bounces are read from by `dispatch`: a Maildir, an mbox file, a folder of .eml files, or imaps://user@host/INBOX. */
      source: z.optional(nonEmpty()),
      /** Consecutive issues with a soft bounce (and no delivery in between) after which a subscriber is set to bounced. */
      softLimit: z._default(number(z.int(), z.gte(1), z.lte(100)), 3),
      /** IMAP: move processed messages to this folder; without it they are flagged $FintechWeeklyScanned. Never deleted. */
      processedFolder: z.optional(nonEmpty().check(z.refine(noLineBreaks, 'must be on one line'))),
    }),
    {},
  ),
  signup: signupSchema,
});

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
