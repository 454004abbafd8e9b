import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import DKIM from 'nodemailer/lib/dkim';
import type { Config } from '../config/schema.js';
import type { Secrets, Settings } from '../config/load.js';
import { FintechWeeklyError, UsageError } from '../core/errors.js';
import { classifySmtpError, smtpSuccess, type SmtpErrorLike, type SmtpOutcome, type SmtpStage } from '../core/smtp-reply.js';

/**
 * The only place that speaks SMTP. It drives nodemailer's SMTPConnection directly with a small pool
 * of its own instead of nodemailer's pool transport, for two reasons the send log depends on:
 * nothing is ever requeued behind the engine's back (the pool's maxRequeues, structurally 0), and
 * every failure is known to have happened before or after the server accepted DATA, which is the
 * difference between "deferred, safe to resend" and "unknown, may have been delivered". The same
 * knowledge lets abort() tell a stopped send which messages never left (cancelled) from those the
 * server was already receiving (unknown).
 * Messages go out as pre-composed bytes: nothing is re-encoded per message.
 */

export interface OutgoingMessage {
  envelope: { from: string; to: string[] };
  /** The message's bytes in order (a pre-composed message's shared chunks are not copied). */
  chunks: readonly Buffer[];
}

export interface Transport {
  /** Sends that may be in flight at once; callers must not start more. */
  readonly connections: number;
  /** Where messages go, for messages to the editor; never contains a password. */
  readonly description: string;
  /** Never rejects for SMTP trouble: the outcome says what happened. */
  send(message: OutgoingMessage): Promise<SmtpOutcome>;
  /**
   * Cuts every message in flight, at once: one whose transaction has not reached DATA resolves
   * `cancelled` (the server has none of it), one past DATA `unknown`; later sends resolve
   * `cancelled` without connecting.
   */
  abort(): void;
  close(): Promise<void>;
}

/** What to tell the editor when the SMTP setup, not a recipient, is the problem. */
export const ABORT_HINTS: Record<NonNullable<SmtpOutcome['fix']>, string> = {
  login: 'Check the SMTP user (smtp.user or the user in FINTECHWEEKLY_SMTP_URL) and the password (FINTECHWEEKLY_SMTP_PASSWORD or the URL), then run the same command again: it resumes.',
  tls: 'Check the port and TLS mode (465 = smtps:// or smtp.secure: true; 587 = STARTTLS) and that the server certificate matches the host name, then run the same command again.',
  server: 'Check smtp.host and smtp.port (or FINTECHWEEKLY_SMTP_URL) and that the SMTP server is running and reachable, then run the same command again.',
};

const CANCELLED: SmtpOutcome = { kind: 'cancelled', code: undefined, reply: 'stopped before the message was sent' };
const CUT_AFTER_DATA: SmtpOutcome = { kind: 'unknown', code: undefined, reply: 'stopped while the server was receiving the message: it may have been delivered' };

/** The project's transport: the SMTP server of the settings, or the folder for `--outbox DIR`. */
export async function openTransport(settings: Settings, outbox: string | undefined): Promise<Transport> {
  if (outbox) return openOutboxTransport(path.resolve(outbox));
  return openSmtpTransport(resolveSmtpSettings(settings.config, settings.secrets, settings.root));
}

export interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  requireTLS: boolean;
  /**
   * Whether the server's certificate must be valid. Not for a relay to which plain SMTP is allowed
   * anyway (loopback, smtp.allowPlain): an unverified STARTTLS there is no worse than none, and
   * local development relays offer STARTTLS with self-signed certificates.
   */
  verifyCertificate: boolean;
  user: string | undefined;
  password: string | undefined;
  connections: number;
  messageTimeoutMs: number;
  /** Where DKIM keys resolve from: the project root. */
  dkim: { domainName: string; keySelector: string; privateKeyFile: string } | undefined;
}

const HOW_TO_CONFIGURE =
  'Set FINTECHWEEKLY_SMTP_URL=smtps://USER:PASSWORD@HOST:465 (or smtp://...:587 for STARTTLS), or set smtp.host, smtp.port and smtp.user in fintechweekly.config.yaml with the password in FINTECHWEEKLY_SMTP_PASSWORD. To try everything without a server, add --outbox DIR.';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost') || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** SMTP settings from FINTECHWEEKLY_SMTP_URL, else the config; throws a clear error when there are none. */
export function resolveSmtpSettings(config: Config, secrets: Secrets, root: string): SmtpSettings {
  const smtp = config.smtp;
  let host: string | undefined;
  let port: number | undefined;
  let secure = smtp.secure;
  let user = smtp.user;
  let password = secrets.smtpPassword;
  if (secrets.smtpUrl) {
    let url: URL;
    try {
      url = new URL(secrets.smtpUrl);
    } catch {
      throw new FintechWeeklyError('FINTECHWEEKLY_SMTP_URL is not a valid URL', { hint: 'Use smtps://USER:PASSWORD@HOST:465 or smtp://USER:PASSWORD@HOST:587 (percent-encode special characters in the password).' });
    }
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
      throw new FintechWeeklyError(`FINTECHWEEKLY_SMTP_URL must start with smtp:// or smtps://, not ${url.protocol}//`, { hint: HOW_TO_CONFIGURE });
    }
    host = url.hostname;
    secure = url.protocol === 'smtps:';
    port = url.port ? Number(url.port) : secure ? 465 : 587;
    if (url.username) user = decodeURIComponent(url.username);
    if (url.password) password = decodeURIComponent(url.password);
  } else {
    host = smtp.host;
    port = smtp.port ?? (secure ? 465 : 587);
  }
  if (!host) throw new FintechWeeklyError('no SMTP server is configured', { hint: HOW_TO_CONFIGURE });
  if (user && !password) {
    throw new FintechWeeklyError(`the SMTP user ${user} has no password`, { hint: 'Set FINTECHWEEKLY_SMTP_PASSWORD (passwords are never read from the config file).' });
  }
  const plainAllowed = isLoopbackHost(host) || smtp.allowPlain;
  return {
    host,
    port,
    secure,
    // Credentials and subscriber addresses never cross the network in clear text, except to a
    // relay on this machine or one the config explicitly trusts.
    requireTLS: !secure && !plainAllowed,
    verifyCertificate: !plainAllowed,
    user,
    password,
    connections: smtp.connections,
    messageTimeoutMs: smtp.messageTimeoutSeconds * 1000,
    dkim: config.dkim ? { domainName: config.dkim.domain, keySelector: config.dkim.selector, privateKeyFile: path.resolve(root, config.dkim.privateKeyPath) } : undefined,
  };
}

export function describeSmtp(s: Pick<SmtpSettings, 'host' | 'port' | 'secure' | 'user'>): string {
  return `${s.secure ? 'smtps' : 'smtp'}://${s.user ? `${encodeURIComponent(s.user)}@` : ''}${s.host.includes(':') ? `[${s.host}]` : s.host}:${s.port}`;
}

/** The headers DKIM signs: the unsubscribe headers too, so nobody can swap the link in transit. */
const DKIM_HEADERS = 'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:List-Id:List-Unsubscribe:List-Unsubscribe-Post';

export async function createSigner(dkim: NonNullable<SmtpSettings['dkim']>): Promise<(raw: Buffer) => Promise<Buffer>> {
  let privateKey: string;
  try {
    privateKey = await readFile(dkim.privateKeyFile, 'utf8');
  } catch (error) {
    throw new FintechWeeklyError(`cannot read the DKIM private key ${dkim.privateKeyFile}: ${(error as Error).message}`, { file: dkim.privateKeyFile, hint: 'Fix dkim.privateKeyPath in the config (relative to the project folder).' });
  }
  const signer = new DKIM({ domainName: dkim.domainName, keySelector: dkim.keySelector, privateKey, headerFieldNames: DKIM_HEADERS });
  return async (raw) => {
    const chunks: Buffer[] = [];
    for await (const chunk of signer.sign(raw)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
}

export async function openSmtpTransport(settings: SmtpSettings, connections = settings.connections): Promise<Transport> {
  const sign = settings.dkim ? await createSigner(settings.dkim) : undefined;
  const redact = (text: string) => (settings.password ? text.split(settings.password).join('********') : text);
  const idle: PooledConnection[] = [];
  let open = 0;
  const all = new Set<PooledConnection>();
  let aborted = false;

  interface PooledConnection {
    conn: SMTPConnection;
    alive: boolean;
    idleSince: number;
    /**
     * While a transaction is under way: ends it with the outcome of being cut now. A field of the
     * connection, not an entry in a Set of the transport: a Set that gains and loses an entry per
     * message rebuilds its table every few messages, V8 keeps each discarded table linked to the
     * next one with the entries it held, and once one of them was in the old generation every
     * later table and every message its entries captured survived young collections until a full
     * GC (issue 8: about 1.5 KB per message; in a 5-worker script 13 % of all allocation was
     * promoted with a Set, 1.5 % with a field per worker).
     */
    cut?: (() => void) | undefined;
  }
  // Servers close idle sessions (often after 30-60 s, with a 421 we would otherwise meet on our next
  // command and count as a deferral): a connection idle for longer than this is closed, not reused.
  const MAX_IDLE_MS = 15_000;

  function connect(): Promise<PooledConnection> {
    const conn = new SMTPConnection({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      requireTLS: settings.requireTLS,
      tls: { rejectUnauthorized: settings.verifyCertificate },
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: settings.messageTimeoutMs,
      socketCloseTimeout: 1000,
    });
    const pooled: PooledConnection = { conn, alive: true, idleSince: Date.now(), cut: undefined };
    all.add(pooled);
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (error: unknown) => {
        if (settled) return;
        settled = true;
        if (error) {
          pooled.alive = false;
          conn.close();
          all.delete(pooled);
          reject(error);
        } else resolve(pooled);
      };
      // nodemailer reports some failures as 'error' events, others through callbacks.
      conn.on('error', (error) => {
        pooled.alive = false;
        settle(error);
      });
      conn.on('end', () => {
        pooled.alive = false;
        settle(Object.assign(new Error('Connection closed unexpectedly'), { code: 'ECONNECTION' }));
      });
      conn.connect((error) => {
        if (error) return settle(error);
        if (!settings.user) return settle(undefined);
        conn.login({ user: settings.user, pass: settings.password ?? '' }, (loginError) => settle(loginError ?? undefined));
      });
    });
  }

  const waiters: (() => void)[] = [];
  async function acquire(): Promise<PooledConnection | undefined> {
    for (;;) {
      const ready = idle.pop();
      if (ready) {
        if (ready.alive && Date.now() - ready.idleSince < MAX_IDLE_MS) return ready;
        if (ready.alive) ready.conn.quit();
        all.delete(ready);
        open--;
        continue;
      }
      if (open < connections) {
        open++;
        return undefined;
      }
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }
  function release(pooled: PooledConnection | undefined): void {
    if (pooled?.alive) {
      pooled.idleSince = Date.now();
      idle.push(pooled);
    } else {
      open--;
      if (pooled) all.delete(pooled);
    }
    waiters.shift()?.();
  }

  function transact(pooled: PooledConnection, message: OutgoingMessage): Promise<{ outcome: SmtpOutcome; usable: boolean }> {
    return new Promise((resolve) => {
      let stage: SmtpStage = 'envelope';
      /** The server's answer, once it gave one (a refused message waits for RSET before finishing). */
      let replied: SmtpOutcome | undefined;
      let done = false;
      const finish = (outcome: SmtpOutcome, usable: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(deadline);
        pooled.cut = undefined;
        resolve({ outcome, usable });
      };
      const cut = (outcome: SmtpOutcome) => {
        pooled.alive = false;
        pooled.conn.close();
        finish(outcome, false);
      };
      pooled.cut = () => cut(replied ?? (stage === 'data' ? CUT_AFTER_DATA : CANCELLED));
      const deadline = setTimeout(
        () => cut(replied ?? classifySmtpError({ code: 'ETIMEDOUT', message: `no reply within ${settings.messageTimeoutMs / 1000} s (smtp.messageTimeoutSeconds)` }, stage)),
        settings.messageTimeoutMs,
      );
      // The stream is only read once the server has answered DATA with 354.
      const body = new Readable({
        read() {
          stage = 'data';
          for (const chunk of message.chunks) this.push(chunk);
          this.push(null);
        },
      });
      pooled.conn.send(message.envelope, body, (error, info) => {
        if (!error) return finish(smtpSuccess(info.response), true);
        const e = error as Error & SmtpErrorLike;
        const outcome = classifySmtpError({ ...pick(e), message: redact(e.message) }, stage);
        replied = outcome;
        // A refused envelope or message leaves the session usable once reset, as nodemailer's pool does.
        const resettable = pooled.alive && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && e.responseCode !== 421;
        if (!resettable) {
          pooled.alive = false;
          pooled.conn.close();
          return finish(outcome, false);
        }
        pooled.conn.reset((resetError) => {
          if (resetError) {
            pooled.alive = false;
            pooled.conn.close();
          }
          finish(outcome, !resetError);
        });
      });
    });
  }

  return {
    connections,
    description: describeSmtp(settings),
    async send(message) {
      if (aborted) return CANCELLED;
      const chunks = sign ? [await sign(Buffer.concat(message.chunks))] : message.chunks;
      let pooled = await acquire();
      try {
        if (aborted) return CANCELLED;
        if (!pooled) {
          try {
            pooled = await connect();
          } catch (error) {
            if (aborted) return CANCELLED;
            const e = error as Error & SmtpErrorLike;
            return classifySmtpError({ ...pick(e), message: redact(e.message) }, 'connect');
          }
        }
        if (aborted) return CANCELLED;
        const { outcome, usable } = await transact(pooled, { envelope: message.envelope, chunks });
        if (!usable) pooled.alive = false;
        return outcome;
      } finally {
        release(pooled);
      }
    },
    abort() {
      aborted = true;
      for (const pooled of all) {
        pooled.cut?.();
        pooled.alive = false;
        pooled.conn.close();
      }
      // Sends waiting for a connection wake up, see `aborted` and return cancelled.
      for (const wake of waiters.splice(0)) wake();
    },
    async close() {
      for (const pooled of all) {
        if (pooled.alive) pooled.conn.quit();
        else pooled.conn.close();
      }
      all.clear();
    },
  };
}

function pick(e: Error & SmtpErrorLike): SmtpErrorLike {
  return { message: e.message, code: e.code, originalCode: e.originalCode, responseCode: e.responseCode, response: e.response, command: e.command };
}

/** `--outbox DIR`: every message becomes DIR/<n>-<address>.eml, and nothing goes over the network. */
export async function openOutboxTransport(dir: string): Promise<Transport> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(`cannot create the outbox folder ${dir}: ${(error as Error).message}`);
  }
  let written = 0;
  return {
    connections: 4,
    description: `the folder ${dir}`,
    async send(message) {
      const n = ++written;
      const file = path.join(dir, `${String(n).padStart(6, '0')}-${(message.envelope.to[0] ?? 'message').replace(/[^A-Za-z0-9@._+-]/g, '_')}.eml`);
      await writeFile(file, message.chunks);
      return smtpSuccess(`250 written to ${file}`);
    },
    // A file being written is finished: nothing goes over the network.
    abort() {},
    async close() {},
  };
}
