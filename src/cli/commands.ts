import type { Command } from 'commander';
import { registerBuild } from './build.js';
import { registerCheck } from './check.js';
import { registerSend } from './send.js';
import { registerNew } from './new.js';
import { registerPreview } from './preview.js';
import { registerStatus } from './status.js';
import { registerSubscribers } from './subscribers.js';
import { registerSchedule } from './schedule.js';
import { registerDispatch } from './dispatch.js';
import { registerServe } from './serve.js';
import { registerBounces } from './bounces.js';

/**
 * Every command, registered in the order `--help` lists them. Command files import their heavy
 * dependencies (mjml, the store, nodemailer) inside their actions, so that `subscribers list` never
 * pays for loading MJML.
 */
export function registerCommands(program: Command): void {
  registerNew(program);
  registerBuild(program);
  registerCheck(program);
  registerSend(program);
  registerPreview(program);
  registerStatus(program);
  registerSubscribers(program);
  registerSchedule(program);
  registerDispatch(program);
  registerServe(program);
  registerBounces(program);
}
