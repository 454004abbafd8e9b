import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { readSettings, settings } from './context.js';
import { createOutput } from './output.js';

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('Serve an issue\'s email on 127.0.0.1 and reload it when the issue, template or config changes')
    .argument('<issue>', 'issue file or slug')
    .option('--port <n>', 'port (0: any free port)', '4321')
    .action(async (ref: string, flags: { port: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: must be a number from 0 to 65535, got "${flags.port}"`);
      const out = createOutput();
      const project = settings(); // reports a broken config before the server starts
      const { previewIssue } = await import('../app/preview-issue.js');
      const preview = await previewIssue(project, { ref, port, cwd: process.cwd() }, {
        reloadSettings: readSettings,
        onBuild: (result) => {
          if (result.ok) out.info(`built ${result.slug}${result.warnings ? ` (${result.warnings} warning${result.warnings > 1 ? 's' : ''})` : ''}`);
          else for (const line of result.message.split('\n')) process.stderr.write(`${out.paint('red', 'error:')} ${line}\n`);
        },
      });
      out.print(`Preview: ${preview.url}  (Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await preview.close();
    });
}
