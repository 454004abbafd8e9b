import { Resolver } from 'node:dns/promises';
import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config/schema.js';
import { resultFromFindings, type CheckResult, type Finding } from '../rules/result.js';
import { domainOf } from '../../core/message/message-id.js';
import { dkimRecord, readPublicKey, recordKey } from './dkim-key.js';

const LOOKUP_TIMEOUT_MS = 5000;

async function txt(resolver: Resolver, name: string): Promise<string[] | undefined> {
  try {
    return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return undefined;
    throw new Error(`DNS lookup of ${name} failed (${code ?? (error as Error).message})`, { cause: error });
  }
}

async function configuredDkimRecord(config: Config, root: string): Promise<string | undefined> {
  const dkim = config.dkim;
  if (!dkim) return undefined;
  try {
    if (dkim.publicKeyPath) return dkimRecord(readPublicKey(await readFile(path.resolve(root, dkim.publicKeyPath), 'utf8')));
    return dkimRecord(createPublicKey(await readFile(path.resolve(root, dkim.privateKeyPath), 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * Online only (`check --dns`): what the From domain publishes for SPF, DKIM and DMARC. Hints, so
 * warnings: the records live in the domain's DNS, which the editor may not control.
 */
export async function checkDnsRecords(config: Config, root: string): Promise<CheckResult> {
  const domain = domainOf(config.sender.fromEmail);
  const resolver = new Resolver({ timeout: LOOKUP_TIMEOUT_MS, tries: 2 });
  const findings: Finding[] = [];
  const warn = (message: string) => findings.push({ status: 'warn', message });
  try {
    const spf = (await txt(resolver, domain))?.filter((r) => /^v=spf1\b/i.test(r)) ?? [];
    if (spf.length === 0) warn(`${domain} publishes no SPF record (TXT "v=spf1 ..."): add one that includes your SMTP relay`);
    else if (spf.length > 1) warn(`${domain} publishes ${spf.length} SPF records; receivers treat that as an error: merge them into one`);
    else findings.push({ status: 'pass', message: `SPF: ${spf[0]}` });

    const dmarc = (await txt(resolver, `_dmarc.${domain}`))?.filter((r) => /^v=DMARC1\b/i.test(r)) ?? [];
    if (dmarc.length === 0) warn(`_dmarc.${domain} has no DMARC record: Gmail and Yahoo require one from bulk senders (start with "v=DMARC1; p=none; rua=mailto:...")`);
    else findings.push({ status: 'pass', message: `DMARC: ${dmarc[0]}` });

    if (config.dkim) {
      const name = `${config.dkim.selector}._domainkey.${config.dkim.domain}`;
      const published = (await txt(resolver, name))?.filter((r) => /\bp=/.test(r)) ?? [];
      const expected = await configuredDkimRecord(config, root);
      if (published.length === 0) warn(`${name} publishes no DKIM key: publish "${expected ?? 'v=DKIM1; k=rsa; p=...'}"`);
      else if (expected && !published.some((r) => recordKey(r) === recordKey(expected))) warn(`${name} publishes a different key than the one configured: receivers will reject the signature`);
      else findings.push({ status: 'pass', message: `DKIM: ${name} publishes the configured key` });
    } else {
      warn('no dkim in the config, so no selector to look up: make sure your relay signs with a key published under your domain');
    }
  } catch (error) {
    warn(`${(error as Error).message}: are you online?`);
  }
  return resultFromFindings('dns', 'Authentication (DNS)', findings, `${domain} publishes SPF, DMARC${config.dkim ? ' and the DKIM key' : ''}`);
}
