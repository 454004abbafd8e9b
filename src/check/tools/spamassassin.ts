import { spawn } from 'node:child_process';
import type { CheckResult } from '../rules/result.js';
import { judgeSpamReport, parseSpamAssassinReport } from '../rules/spam-report.js';
import { FintechWeeklyError } from '../../core/errors.js';
import { findOnPath } from './executable.js';
import { toolEnv } from './tool-env.js';

/** Loading the rule set takes seconds, and minutes on a cold, busy machine. */
const TIMEOUT_MS = 180_000;

/**
 * Local tests only (-L: no DNS blocklists, no network). Bayes is off and nothing is learned, so
 * a check neither depends on nor changes what this machine's SpamAssassin has learned before.
 */
const ARGS = ['-L', '-t', '--cf=use_bayes 0', '--cf=bayes_auto_learn 0', '--cf=report_safe 0'];

function run(executable: string, raw: Buffer, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, ARGS, { env: toolEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(stdout).toString('utf8'));
      else {
        const why = signal ? `was stopped (${signal}${signal === 'SIGKILL' ? `, no answer in ${TIMEOUT_MS / 1000} s` : ''})` : `exited with ${code}`;
        const detail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-3).join(' | ');
        reject(new FintechWeeklyError(`spamassassin ${why}${detail ? `: ${detail}` : ''}`));
      }
    });
    // A closed pipe (spamassassin died early) surfaces through 'close' with its exit code.
    child.stdin.on('error', () => undefined);
    child.stdin.end(raw);
  });
}

export async function checkSpamScore(raw: Buffer, threshold: number, env: NodeJS.ProcessEnv): Promise<CheckResult> {
  const title = 'Spam score';
  const executable = findOnPath('spamassassin', env);
  if (!executable) {
    return {
      id: 'spam',
      title,
      status: 'warn',
      reason: 'not scored: SpamAssassin is not installed (Debian/Ubuntu: sudo apt-get install spamassassin)',
      findings: [],
    };
  }
  let output: string;
  try {
    output = await run(executable, raw, env);
  } catch (error) {
    return { id: 'spam', title, status: 'fail', reason: `could not score the message: ${(error as Error).message}`, findings: [] };
  }
  const report = parseSpamAssassinReport(output);
  if (!report) return { id: 'spam', title, status: 'fail', reason: 'could not read the SpamAssassin report (no "Content analysis details" section)', findings: [] };
  return judgeSpamReport(report, threshold);
}
