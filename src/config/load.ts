import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isNode } from 'yaml';
import { FintechWeeklyError } from '../core/errors.js';
import { describeSchemaProblem, formatPath } from '../core/schema-errors.js';
import { configSchema, type Config } from './schema.js';

export const CONFIG_NAMES = ['fintechweekly.config.yaml', 'fintechweekly.config.yml', 'fintechweekly.config.json'];

/** What only the environment may hold, and where the store lives. */
export interface Secrets {
  smtpUrl: string | undefined;
  smtpPassword: string | undefined;
  unsubscribeSecret: string | undefined;
  /** For an imaps:// bounce source. */
  imapPassword?: string | undefined;
}

export interface Settings {
  /** The project folder: paths in the config are relative to it. */
  root: string;
  configPath: string | undefined;
  config: Config;
  secrets: Secrets;
  dbPath: string;
}

export interface LoadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export function loadSettings({ cwd, env }: LoadOptions): Settings {
  const configPath = findConfig(cwd, env);
  const root = configPath ? path.dirname(configPath) : cwd;
  const config = configPath ? readConfigFile(configPath) : configSchema.parse({});
  const nonEmpty = (v: string | undefined) => (v === undefined || v === '' ? undefined : v);
  return {
    root,
    configPath,
    config,
    secrets: {
      smtpUrl: nonEmpty(env.FINTECHWEEKLY_SMTP_URL),
      smtpPassword: nonEmpty(env.FINTECHWEEKLY_SMTP_PASSWORD),
      unsubscribeSecret: nonEmpty(env.FINTECHWEEKLY_UNSUBSCRIBE_SECRET),
      imapPassword: nonEmpty(env.FINTECHWEEKLY_IMAP_PASSWORD),
    },
    dbPath: path.resolve(cwd, nonEmpty(env.FINTECHWEEKLY_DB) ?? path.join(root, 'fintechweekly.db')),
  };
}

function findConfig(cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env.FINTECHWEEKLY_CONFIG;
  if (explicit) {
    const p = path.resolve(cwd, explicit);
    if (!existsSync(p)) {
      throw new FintechWeeklyError(`config file ${explicit} (from FINTECHWEEKLY_CONFIG) does not exist`, {
        hint: 'Fix the path in FINTECHWEEKLY_CONFIG or unset it to use ./fintechweekly.config.yaml.',
      });
    }
    return p;
  }
  return CONFIG_NAMES.map((n) => path.join(cwd, n)).find((p) => existsSync(p));
}

/** Reads and validates a config file; every error names the file, the key and (for YAML) the line. */
export function readConfigFile(file: string): Config {
  const rel = path.relative(process.cwd(), file) || file;
  const text = readFileSync(file, 'utf8');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // linePos is only filled in with prettyErrors; the line counter knows the line either way.
    const pos = lineCounter.linePos(yamlError.pos[0]);
    throw new FintechWeeklyError(`${rel}:${pos.line}:${pos.col}: the config is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${yamlError.message.split('\n')[0]}`, {
      file,
      hint: 'Fix the syntax at that line (indentation, a missing colon or quote).',
    });
  }
  const data: unknown = doc.toJS() ?? {};
  // With the input in each issue, a value of the wrong type is told apart from a missing one.
  const result = configSchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const { path: keyPath, message } = describeSchemaProblem(issue);
    // An unknown key is shown at its own line, not at the line of the section it is in.
    const unknown = issue.code === 'unrecognized_keys' ? doc.getIn([...keyPath, issue.keys[0]], true) : undefined;
    const node = isNode(unknown) ? unknown : doc.getIn(keyPath, true);
    const line = isNode(node) && node.range ? `:${lineCounter.linePos(node.range[0]).line}` : '';
    const key = formatPath(keyPath);
    return `${rel}${line}: ${key ? `${key}: ` : ''}${message}`;
  });
  throw new FintechWeeklyError(lines.join('\n'), { file, hint: 'See docs/reference.md ("Configuration file") for every key and its type.' });
}
