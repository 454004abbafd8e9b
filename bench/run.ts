/**
 * `npm run bench`: every benchmark, one after the other, so their figures come from the same
 * machine state. The send benchmark joins when bench/send.ts exists; the import and bounce scan benchmarks come last.
 */
import { existsSync } from 'node:fs';
import { benchBuild } from './build.js';

await benchBuild();

const sendBench = new URL('./send.js', import.meta.url);
if (existsSync(sendBench)) {
  const { benchSend } = (await import(sendBench.href)) as { benchSend: () => Promise<unknown> };
  process.stdout.write('\n');
  await benchSend();
}
await import('./import.js').then(async ({ benchImport }) => (process.stdout.write('\n'), await benchImport()));
await (await import('./signup.js')).benchSignup();
await (await import('./bounces.js')).benchBounces();
