import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repo } from './run-cli.js';
import type { TempProject } from './temp-project.js';

export const LONG = '2026-12-18-laporan-akhir-tahun';
export const SPAMMY = '2026-12-01-spammy';
const fixtures = path.join(repo, 'test/fixtures/check');

/** Adds the check fixtures to a project and, if asked, a DKIM key pair configured as a sender would. */
export function addCheckFixtures(p: TempProject, options: { dkim?: 'matching' | 'other-key' } = {}): TempProject {
  for (const file of readdirSync(fixtures).filter((f) => f.endsWith('.md'))) copyFileSync(path.join(fixtures, file), path.join(p.dir, 'issues', file));
  if (options.dkim) {
    const key = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
    const signing = key();
    const published = options.dkim === 'matching' ? signing : key();
    p.write('keys/dkim-private.pem', signing.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    p.write('keys/dkim-public.pem', published.publicKey.export({ type: 'spki', format: 'pem' }));
    const config = readFileSync(path.join(p.dir, 'fintechweekly.config.yaml'), 'utf8');
    p.write('fintechweekly.config.yaml', `${config}\ndkim:\n  domain: fintechweekly.example\n  selector: fw2026\n  privateKeyPath: keys/dkim-private.pem\n  publicKeyPath: keys/dkim-public.pem\n`);
  }
  return p;
}
