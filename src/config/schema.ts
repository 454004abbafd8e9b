import { z } from 'zod';

const noLineBreaks = (s: string) => !/[\r\n\0]/.test(s);
const headerText = z.string().min(1).refine(noLineBreaks, 'must be on one line (no CR, LF or NUL)');
const email = z.email('must be an email address like name@example.com').refine(noLineBreaks, 'must be on one line');
const httpsUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const color = z.string().regex(/^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/, 'must be a hex colour like #0b5cff');

export const LANGS = ['id', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** The sign-up form of `serve` (docs/signup.md). */
const signupSchema = z
  .object({
    /** Off: serve answers no /subscribe or /confirm, and needs no SMTP server. */
    enabled: z.boolean().default(true),
    /** A Markdown issue file (relative to the project) mailed once to each reader when they confirm. */
    welcome: z.string().min(1).optional(),
    /** How long a confirmation link works. */
    confirmHours: z.number().positive().max(720).default(48),
    /** Sign-ups accepted from one IP address (an IPv6 /64) per 10 minutes. */
    perIpPer10Minutes: z.number().int().min(1).max(10_000).default(5),
  })
  .strict()
  .prefault({});

export const configSchema = z
  .object({
    brand: z
      .object({
        name: headerText.default('FinTech Weekly'),
        tagline: z.string().min(1).default('Dibaca oleh eksekutif di JP Morgan, Coinbase, Blackrock, Klarna dan lainnya'),
        colors: z
          .object({
            primary: color.default('#0b5cff'),
            text: color.default('#1f2933'),
            muted: color.default('#6b7280'),
            background: color.default('#f3f5f8'),
            surface: color.default('#ffffff'),
          })
          .strict()
          .prefault({}),
        /** Absolute https URL of a logo image shown above the tagline. */
        logo: z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional(),
        logoAlt: z.string().optional(),
      })
      .strict()
      .prefault({}),
    sender: z
      .object({
        fromName: headerText.default('FinTech Weekly'),
        fromEmail: email.default('newsletter@fintechweekly.example'),
        replyTo: email.optional(),
        /** Postal line shown in the footer (CAN-SPAM and similar laws ask for one). */
        postalAddress: z.string().min(1).default('FinTech Weekly, Jl. Contoh No. 1, Jakarta 10110, Indonesia'),
      })
      .strict()
      .prefault({}),
    disclaimer: z
      .string()
      .default(
        'Halaman ini mungkin berisi konten pihak ketiga, yang disediakan untuk tujuan informasi saja (bukan pernyataan/jaminan) dan tidak boleh dianggap sebagai dukungan terhadap pandangannya, atau sebagai nasihat keuangan atau profesional.',
      ),
    lang: z.enum(LANGS, { error: `must be one of: ${LANGS.join(', ')}` }).default('id'),
    /** IANA zone in which schedule times without an offset are read. */
    timezone: z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'must be an IANA time zone like Asia/Jakarta')
      .default('Asia/Jakarta'),
    /** Where `serve` is reachable from the internet: unsubscribe links and "view in browser" use it. */
    publicUrl: httpsUrl.default('https://news.fintechweekly.example'),
    /** List-Id header value, e.g. "FinTech Weekly <weekly.fintechweekly.example>". Default: from the sender's domain. */
    listId: headerText.optional(),
    unsubscribeMailto: email.optional(),
    template: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be a folder name under templates/').default('default'),
    paths: z
      .object({
        issues: z.string().min(1).default('issues'),
        dist: z.string().min(1).default('dist'),
        templates: z.string().min(1).default('templates'),
      })
      .strict()
      .prefault({}),
    test: z
      .object({
        recipients: z.array(email).default([]),
      })
      .strict()
      .prefault({}),
    smtp: z
      .object({
        host: z.string().min(1).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        /** Implicit TLS (port 465). Otherwise STARTTLS is required unless the host is loopback or allowPlain is set. */
        secure: z.boolean().default(false),
        user: z.string().min(1).optional(),
        /** Send without TLS to a non-loopback host. Only for relays on a trusted network. */
        allowPlain: z.boolean().default(false),
        connections: z.number().int().min(1).max(50).default(5),
        /** Messages per second across all connections. */
        rate: z.number().positive().default(50),
        /** Longest time one message may take, connection included. */
        messageTimeoutSeconds: z.number().positive().default(120),
      })
      .strict()
      .prefault({}),
    send: z
      .object({
        /** Attempts per delivery for 4xx replies before it stays deferred for a later run. */
        maxAttempts: z.number().int().min(1).max(20).default(4),
        /** First retry delay; doubles each attempt. */
        retryBaseSeconds: z.number().nonnegative().default(30),
        retryMaxSeconds: z.number().nonnegative().default(600),
      })
      .strict()
      .prefault({}),
    dkim: z
      .object({
        domain: z.string().min(1),
        selector: z.string().min(1),
        privateKeyPath: z.string().min(1),
        publicKeyPath: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    check: z
      .object({
        spamThreshold: z.number().default(2.0),
      })
      .strict()
      .prefault({}),
    serve: z
      .object({
        port: z.number().int().min(0).max(65535).default(8080),
        /**
         * Reverse proxies in front of serve: false (none: the socket's address is the reader's), true (one),
         * or how many. Only then is X-Forwarded-For read, from the right, that many entries deep.
         */
        trustProxy: z.union([z.boolean(), z.number().int().min(1).max(10)], { error: 'must be true, false or the number of proxies (1-10)' }).default(false),
      })
      .strict()
      .prefault({}),
    bounce: z
      .object({
        /** Envelope sender of every delivery, as `<local>+<token>@<domain>` (VERP); bounces come back to it. */
        address: email.refine((a) => !a.slice(0, a.lastIndexOf('@')).includes('+'), 'must not contain "+" (the token goes after it)').optional(),
        /** Where bounces are read from by `dispatch`: a Maildir, an mbox file, a folder of .eml files, or imaps://user@host/INBOX. */
        source: z.string().min(1).optional(),
        /** Consecutive issues with a soft bounce (and no delivery in between) after which a subscriber is set to bounced. */
        softLimit: z.number().int().min(1).max(100).default(3),
        /** IMAP: move processed messages to this folder; without it they are flagged $FintechWeeklyScanned. Never deleted. */
        processedFolder: z.string().min(1).refine(noLineBreaks, 'must be on one line').optional(),
      })
      .strict()
      .prefault({}),
    signup: signupSchema,
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
