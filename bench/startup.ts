/**
 * Start-up benchmark: the commands that render nothing, as whole processes, against Node starting
 * and exiting, measured in the same run and interleaved round by round so that load on the machine
 * hits every variant alike.
 *   node -e 0           the floor
 *   --help              commander and the command definitions
 *   dispatch            cron's run with nothing due: config, store, the issues' front matter
 *   status ISSUE        a sent issue's delivery counts
 *   subscribers list    200 subscribers
 *   schedule list       the schedule and the sent campaign
 * The project is bench/send.ts's (the Klarna issue, 200 subscribers) with the sample config (every
 * section, a time zone), the issue built and sent to a loopback sink first, so that status and
 * schedule list have a campaign to show and dispatch finds nothing due. Goals: --help and dispatch
 * at most 1.6x `node -e 0`, the others at most 2x.
 *
 *   node lib/bench/startup.js [--rounds 15]   or `benchStartup()` from bench/run.ts
 */
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bin, median, repo, round, timeProcess } from './processes.js';
import { buildAndSend, ISSUE, makeProject, startSink } from './send.js';

export interface StartupRow {
  name: string;
  goal: number | undefined;
  /** Median wall-clock seconds. */
  seconds: number;
  /** Median seconds / median seconds of `node -e 0`. */
  ratio: number;
  /** Median over rounds of this process's time / `node -e 0`'s in the same round. */
  pairedRatio: number;
}

const COMMANDS: { name: string; args: string[]; goal: number }[] = [
  { name: '--help', args: ['--help'], goal: 1.6 },
  { name: 'dispatch (nothing due)', args: ['dispatch'], goal: 1.6 },
  { name: 'status ISSUE', args: ['status', ISSUE], goal: 2 },
  { name: 'subscribers list', args: ['subscribers', 'list'], goal: 2 },
  { name: 'schedule list', args: ['schedule', 'list'], goal: 2 },
];

export async function benchStartup(options: { rounds?: number; log?: (line: string) => void } = {}): Promise<StartupRow[]> {
  const rounds = options.rounds ?? 15;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const dir = await makeProject(200, 2);
  try {
    cpSync(path.join(repo, 'fintechweekly.config.yaml'), path.join(dir, 'fintechweekly.config.yaml'));
    const sink = await startSink();
    try {
      await buildAndSend(dir, sink.port);
    } finally {
      sink.stop();
    }
    const variants = [{ name: 'node -e 0', args: ['-e', '0'], goal: undefined }, ...COMMANDS.map((c) => ({ ...c, args: [bin, ...c.args] }))];
    const samples = variants.map(() => [] as number[]);
    log(`start-up benchmark: ${rounds} rounds, whole processes, medians (node ${process.version})`);
    for (const variant of variants) timeProcess(variant.args, dir); // warm the file system cache; not counted
    for (let i = 0; i < rounds; i++) variants.forEach((variant, v) => samples[v]?.push(timeProcess(variant.args, dir)));
    const floor = samples[0] as number[];
    const rows = variants.map((variant, v): StartupRow => {
      const times = samples[v] as number[];
      return {
        name: variant.name,
        goal: variant.goal,
        seconds: round(median(times)),
        ratio: round(median(times) / median(floor), 2),
        pairedRatio: round(median(times.map((t, i) => t / (floor[i] as number))), 2),
      };
    });
    for (const row of rows) {
      const goal = row.goal === undefined ? '' : `  (goal <= ${row.goal}x: ${row.ratio <= row.goal && row.pairedRatio <= row.goal ? 'met' : 'not met'})`;
      log(`  ${row.name.padEnd(24)} ${row.seconds.toFixed(3)} s  ${row.ratio.toFixed(2)}x, paired ${row.pairedRatio.toFixed(2)}x${goal}`);
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const at = process.argv.indexOf('--rounds');
  await benchStartup(at > 0 ? { rounds: Number(process.argv[at + 1]) } : {});
}
