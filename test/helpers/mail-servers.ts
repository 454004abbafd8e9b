import net from 'node:net';

/**
 * The real mail servers .ci/mail-servers.sh starts on loopback (run it by hand on a developer
 * machine). Tests that need one skip with the reason when it is not running, except in CI
 * (CI=true), where a missing server is a failure.
 */
export const POSTFIX = { port: 10025, maildir: '/var/lib/fw-mail/postfix/bounces' } as const;
export const EXIM = { port: 10026, maildir: '/var/lib/fw-mail/exim/bounces' } as const;
export const DOVECOT = { port: 10993, user: 'bounces', password: 'fw-imap-test' } as const;
/** Domains both MTAs handle: mail to hard.fw.test bounces (5.1.1), soft.fw.test bounces (mailbox full), ok.fw.test is delivered. */
export const BOUNCE_ADDRESS = 'bounces@bounces.fw.test';

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Why these tests cannot run here, or undefined when they can. Throws in CI. */
export async function missingServer(name: string, port: number): Promise<string | undefined> {
  if (await listening(port)) return undefined;
  const reason = `${name} is not listening on 127.0.0.1:${port}: run \`bash .ci/mail-servers.sh\` (as root) to start it`;
  if (process.env.CI === 'true') throw new Error(`CI: ${reason}`);
  return reason;
}
