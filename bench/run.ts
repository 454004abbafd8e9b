/**
 * `npm run bench`: every benchmark, one after the other, so their figures come from the same
 * machine state.
 */
import { benchBuild } from './build.js';
import { benchSend } from './send.js';
import { benchStartup } from './startup.js';

await benchBuild();
process.stdout.write('\n');
await benchStartup();
process.stdout.write('\n');
await benchSend();
