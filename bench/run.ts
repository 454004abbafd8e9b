/**
 * `npm run bench`: every benchmark, one after the other, so that their figures come from the same
 * machine state: build, start-up, send, then import, sign-up and bounce scan.
 */
import { benchBuild } from './build.js';
import { benchSend } from './send.js';
import { benchStartup } from './startup.js';

await benchBuild();
process.stdout.write('\n');
await benchStartup();
process.stdout.write('\n');
await benchSend();
await import('./import.js').then(async ({ benchImport }) => (process.stdout.write('\n'), await benchImport()));
await (await import('./signup.js')).benchSignup();
await (await import('./bounces.js')).benchBounces();
