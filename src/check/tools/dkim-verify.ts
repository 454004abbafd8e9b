import { readFile } from 'node:fs/promises';
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import type { CheckResult } from '../rules/result.js';
import { domainOf } from '../../core/message/message-id.js';
import { dkimRecord, readPublicKey } from './dkim-key.js';

export interface DkimCheck {
  result: CheckResult;
  /** The message as it leaves: signed when a key is configured and signing worked. */
  raw: Buffer;
}

type Sign = (raw: Buffer) => Promise<Buffer>;

async function readKeyFile(file: string, what: string, read: (text: string) => KeyObject): Promise<KeyObject> {
  try {
    return read(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the DKIM ${what} ${file}: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

/**
 * Signs the message the way the SMTP transport does and verifies the signature with mailauth
 * against the configured public key, served by a resolver that never leaves the machine: what the
 * receiving server would conclude if DNS published exactly that key.
 */
export async function checkDkim(raw: Buffer, config: Config, root: string, sign: Sign | undefined): Promise<DkimCheck> {
  const id = 'dkim';
  const title = 'DKIM';
  const dkim = config.dkim;
  if (!dkim || !sign) {
    return { raw, result: { id, title, status: 'pass', reason: 'no dkim key in the config, nothing to verify (most relays sign for you; see docs/checking.md)', findings: [] } };
  }
  const fail = (reason: string): DkimCheck => ({ raw, result: { id, title, status: 'fail', reason, findings: [] } });
  let publicKey: KeyObject;
  let keySource: string;
  try {
    if (dkim.publicKeyPath) {
      publicKey = await readKeyFile(path.resolve(root, dkim.publicKeyPath), 'public key', readPublicKey);
      keySource = `the public key in ${dkim.publicKeyPath}`;
    } else {
      publicKey = createPublicKey(await readKeyFile(path.resolve(root, dkim.privateKeyPath), 'private key', (t) => createPrivateKey(t)));
      keySource = 'the public half of the private key (set dkim.publicKeyPath to check the published key)';
    }
  } catch (error) {
    return fail((error as Error).message);
  }
  let signed: Buffer;
  try {
    signed = await sign(raw);
  } catch (error) {
    return fail(`signing failed: ${(error as Error).message.split('\n')[0]}`);
  }
  const recordName = `${dkim.selector}._domainkey.${dkim.domain}`.toLowerCase();
  const record = dkimRecord(publicKey);
  const resolver = async (name: string, type: string): Promise<string[][]> => {
    if (type === 'TXT' && name.toLowerCase() === recordName) return [[record]];
    throw Object.assign(new Error(`${name} is not looked up offline`), { code: 'ENOTFOUND' });
  };
  const { dkimVerify } = await import('mailauth');
  const verified = await dkimVerify(signed, { resolver });
  const signature = verified.results.find((r) => r.signingDomain?.toLowerCase() === dkim.domain.toLowerCase());
  if (!signature) return { raw: signed, result: { id, title, status: 'fail', reason: `the message carries no DKIM signature for ${dkim.domain}`, findings: [] } };
  const status = signature.status as { result?: string; comment?: string };
  if (status.result !== 'pass') {
    return { raw: signed, result: { id, title, status: 'fail', reason: `signature d=${dkim.domain} s=${dkim.selector} does not verify against ${keySource}: ${status.comment ?? status.result ?? 'unknown'}`, findings: [] } };
  }
  const fromDomain = domainOf(config.sender.fromEmail);
  const aligned = fromDomain === dkim.domain.toLowerCase() || fromDomain.endsWith(`.${dkim.domain.toLowerCase()}`);
  if (!aligned) {
    return {
      raw: signed,
      result: { id, title, status: 'warn', reason: `signature verifies, but d=${dkim.domain} does not match the From domain ${fromDomain}: DMARC will not pass on DKIM`, findings: [] },
    };
  }
  return { raw: signed, result: { id, title, status: 'pass', reason: `signed d=${dkim.domain} s=${dkim.selector}; verifies against ${keySource}`, findings: [] } };
}
