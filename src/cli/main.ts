import './source-mapped-stacks.js';
import { Command, CommanderError } from 'commander';
import { packageVersion } from '../config/package-version.js';
import { EXIT, isFintechWeeklyError } from '../core/errors.js';
import { inspectError } from './output.js';
import { registerCommands } from './commands.js';
import { loadConfigReader, settings } from './context.js';
import { commandLine, describeStorageFailure, storageFailure } from './storage-failure.js';

const program = new Command('fintechweekly')
  .description('Write the FinTech Weekly newsletter in Markdown, build it into an email, and send it over SMTP.')
  .version(packageVersion())
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  // build compiles MJML in a worker: the worker's thread boots while the config loads (MJML itself
  // loads only once build finds an issue to render).
  .hook('preSubcommand', async (_program, command) => {
    if (command.name() === 'build') (await import('../pipeline/mjml-compiler.js')).startMjmlThread();
  })
  // Only a command that runs needs the config: --help and usage errors never load it.
  .hook('preAction', loadConfigReader);

registerCommands(program);

function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; its usage errors are our exit code 2.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  const failure = storageFailure(error);
  if (failure) {
    process.stderr.write(`error: ${describeStorageFailure(failure, storePath(), `run \`${commandLine(process.argv.slice(2))}\` again`)}\n`);
    return EXIT.error;
  }
  if (isFintechWeeklyError(error)) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'ExitPromptError') {
    process.stderr.write('cancelled.\n');
    return EXIT.error;
  }
  process.stderr.write(`unexpected error (this is a bug in fintechweekly; please report it):\n${inspectError(error)}\n`);
  return EXIT.error;
}

function storePath(): string {
  try {
    return settings().dbPath;
  } catch {
    return 'the database';
  }
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = report(error);
}
