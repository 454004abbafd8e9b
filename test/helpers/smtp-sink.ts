/**
 * A real SMTP server on 127.0.0.1 (smtp-server) for tests, on a port from the OS.
 *
 *   const sink = await startSmtpSink();                     // accepts everything, no AUTH
 *   const sink = await startSmtpSink({ auth: { user: 'u', password: 'p' } });  // wrong login -> 535
 *   const sink = await startSmtpSink({
 *     rcptReply: (address, attempt) => (address === 'slow@example.com' && attempt <= 2 ? 451 : undefined),
 *     dataReply: (n) => (n === 5 ? 'drop' : undefined),     // 5th message body: connection cut, no reply
 *   });
 *   ... run the CLI with FINTECHWEEKLY_SMTP_URL=sink.url ...
 *   sink.messages        // accepted messages in arrival order: { envelope, raw, parsed (mailparser) }
 *   sink.received('a@example.com')   // messages whose envelope went to that address
 *   sink.dropped         // bodies received and then cut off with no reply
 *   await sink.close();
 *
 * rcptReply/dataReply return an SMTP code (4xx/5xx) to refuse, 'drop' (dataReply only) to destroy
 * the connection without replying, 'hang' to never answer (the client's timeout must act), or
 * undefined to accept. `attempt` counts RCPT TO commands for
 * that address, `n` counts message bodies received (1-based). STARTTLS is off unless `startTls`
 * (then smtp-server offers it with its built-in self-signed, expired certificate, like a local
 * development relay); smtp-server waits 100 ms before greeting each connection.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

export interface SinkMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  /** Undefined when the sink was started with parse: false. */
  parsed: ParsedMail | undefined;
}

export interface SmtpSinkOptions {
  auth?: { user: string; password: string };
  rcptReply?: (address: string, attempt: number) => number | 'hang' | undefined;
  dataReply?: (n: number, envelope: SinkMessage['envelope']) => number | 'drop' | 'hang' | undefined;
  /** Parse accepted messages with mailparser (default true; off for benchmarks). */
  parse?: boolean;
  /** Offer STARTTLS with smtp-server's self-signed certificate. */
  startTls?: boolean;
}

export interface SmtpSink {
  port: number;
  /** FINTECHWEEKLY_SMTP_URL for this sink (with the credentials when auth is set). */
  url: string;
  messages: SinkMessage[];
  /** Bodies received and then cut off ('drop') or never answered ('hang'). */
  dropped: SinkMessage[];
  received(address: string): SinkMessage[];
  close(): Promise<void>;
}

function smtpError(code: number): Error & { responseCode: number } {
  const text = code >= 500 ? (code === 550 ? 'mailbox unavailable' : 'permanent failure') : 'try again later';
  return Object.assign(new Error(`${code === 550 ? '5.1.1' : code >= 500 ? '5.0.0' : '4.0.0'} ${text}`), { responseCode: code });
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const dropped: SinkMessage[] = [];
  const rcptAttempts = new Map<string, number>();
  let bodies = 0;
  const server: SMTPServer = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    disabledCommands: [...(options.startTls ? [] : ['STARTTLS']), ...(options.auth ? [] : ['AUTH'])],
    hideSTARTTLS: false,
    allowInsecureAuth: true,
    authOptional: !options.auth,
    size: 50 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.password) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
    },
    onRcptTo(address: SMTPServerAddress, _session, callback) {
      const attempt = (rcptAttempts.get(address.address) ?? 0) + 1;
      rcptAttempts.set(address.address, attempt);
      const code = options.rcptReply?.(address.address, attempt);
      if (code === 'hang') return;
      callback(code ? smtpError(code) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address) };
        const raw = Buffer.concat(chunks);
        const reply = options.dataReply?.(++bodies, envelope);
        if (reply === 'hang') {
          dropped.push({ envelope, raw, parsed: undefined });
          return;
        }
        if (reply === 'drop') {
          dropped.push({ envelope, raw, parsed: undefined });
          for (const connection of server.connections as Set<{ session?: { id?: string }; _socket?: { destroy(): void } }>) {
            if (connection.session?.id === session.id) connection._socket?.destroy();
          }
          return;
        }
        if (reply) return callback(smtpError(reply));
        const message: SinkMessage = { envelope, raw, parsed: undefined };
        if (options.parse === false) {
          messages.push(message);
          return callback(null, 'queued');
        }
        simpleParser(raw).then(
          (parsed) => {
            messages.push({ ...message, parsed });
            callback(null, 'queued');
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // A client killed mid-session resets its socket: that is a test scenario, not a sink failure.
  server.on('error', () => {});
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const credentials = options.auth ? `${encodeURIComponent(options.auth.user)}:${encodeURIComponent(options.auth.password)}@` : '';
  return {
    port,
    url: `smtp://${credentials}127.0.0.1:${port}`,
    messages,
    dropped,
    received: (addr) => messages.filter((m) => m.envelope.to.includes(addr)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
