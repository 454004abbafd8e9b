import { formatWithOptions } from 'node:util';

/**
 * How a command talks to the person (or cron job, or script) that ran it.
 * - On a TTY: plain lines, colour unless NO_COLOR is set, progress bars allowed.
 * - Not a TTY (cron, pipes): every line starts with an ISO timestamp, no colour, no bars.
 * - --json: stdout carries only the JSON result; lines go to stderr.
 */
export interface Output {
  readonly json: boolean;
  readonly tty: boolean;
  readonly color: boolean;
  /** A progress or status line. */
  info(message: string): void;
  warn(message: string): void;
  /** The command's machine-readable result (printed only with --json). */
  result(value: unknown): void;
  /** Text for stdout even without --json (tables, lists). Suppressed with --json. */
  print(text: string): void;
  paint(style: 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan', text: string): string;
}

const CODES = { bold: [1, 22], dim: [2, 22], green: [32, 39], yellow: [33, 39], red: [31, 39], cyan: [36, 39] } as const;

export function createOutput(options: { json?: boolean } = {}): Output {
  const json = options.json ?? false;
  const tty = Boolean(process.stdout.isTTY) && !json;
  const color = tty && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';
  const lineStream = json ? process.stderr : process.stdout;
  const stamp = (message: string) => (tty ? message : message.split('\n').map((l) => `${new Date().toISOString()} ${l}`).join('\n'));
  const paint: Output['paint'] = (style, text) => (color ? `\u001b[${CODES[style][0]}m${text}\u001b[${CODES[style][1]}m` : text);
  return {
    json,
    tty,
    color,
    paint,
    info: (message) => lineStream.write(`${stamp(message)}\n`),
    warn: (message) => process.stderr.write(`${stamp(`${paint('yellow', 'warning:')} ${message}`)}\n`),
    result: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    print: (text) => {
      if (!json) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

/** For unexpected errors only: the full inspection with stack. */
export function inspectError(error: unknown): string {
  return formatWithOptions({ colors: false, depth: 4 }, '%O', error);
}
