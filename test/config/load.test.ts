import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';
import { EXIT, type FintechWeeklyError } from '../../src/core/errors.js';
import { repo } from '../helpers/run-cli.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fw-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
};
/** How messages name a file: relative to the current folder. */
const shown = (file: string) => path.relative(process.cwd(), file);

function loadError(env: NodeJS.ProcessEnv = {}): FintechWeeklyError {
  try {
    loadSettings({ cwd: dir, env });
  } catch (error) {
    return error as FintechWeeklyError;
  }
  throw new Error('the config loaded');
}

describe('loadSettings', () => {
  it('without a config file: the defaults, the project is the current folder, the store in it, no secrets', () => {
    const settings = loadSettings({ cwd: dir, env: {} });
    expect(settings).toEqual({
      root: dir,
      configPath: undefined,
      config: configSchema.parse({}),
      secrets: { smtpUrl: undefined, smtpPassword: undefined, unsubscribeSecret: undefined },
      dbPath: path.join(dir, 'fintechweekly.db'),
    });
    expect(settings.config).toMatchObject({ lang: 'id', timezone: 'Asia/Jakarta', paths: { issues: 'issues', dist: 'dist', templates: 'templates' } });
  });

  it("reads this repository's config", () => {
    const settings = loadSettings({ cwd: repo, env: {} });
    expect(settings.configPath).toBe(path.join(repo, 'fintechweekly.config.yaml'));
    expect(settings.config).toMatchObject({ publicUrl: 'https://news.fintechweekly.example', timezone: 'Asia/Jakarta' });
  });

  it('finds fintechweekly.config.yaml before .yml and .json; YAML and JSON read alike', () => {
    write('fintechweekly.config.json', '{ "lang": "en", "serve": { "port": 9000 } }');
    expect(loadSettings({ cwd: dir, env: {} }).config).toMatchObject({ lang: 'en', serve: { port: 9000 } });
    write('fintechweekly.config.yaml', 'lang: id\n');
    const settings = loadSettings({ cwd: dir, env: {} });
    expect(settings.configPath).toBe(path.join(dir, 'fintechweekly.config.yaml'));
    expect(settings.config.lang).toBe('id');
  });

  it('FINTECHWEEKLY_CONFIG names the file (relative to the current folder); its folder is the project', () => {
    const file = write('site/settings.yaml', 'paths:\n  issues: edisi\n');
    const settings = loadSettings({ cwd: dir, env: { FINTECHWEEKLY_CONFIG: 'site/settings.yaml' } });
    expect(settings).toMatchObject({ root: path.join(dir, 'site'), configPath: file, config: { paths: { issues: 'edisi' } }, dbPath: path.join(dir, 'site', 'fintechweekly.db') });
    expect(loadError({ FINTECHWEEKLY_CONFIG: 'nope.yaml' })).toMatchObject({
      message: 'config file nope.yaml (from FINTECHWEEKLY_CONFIG) does not exist',
      hint: expect.stringContaining('FINTECHWEEKLY_CONFIG'),
      exitCode: EXIT.error,
    });
  });

  it('takes the secrets and the store from the environment; an empty variable counts as unset', () => {
    const settings = loadSettings({
      cwd: dir,
      env: { FINTECHWEEKLY_SMTP_URL: 'smtp://127.0.0.1:2525', FINTECHWEEKLY_SMTP_PASSWORD: '', FINTECHWEEKLY_UNSUBSCRIBE_SECRET: 's3cret', FINTECHWEEKLY_DB: 'data/fw.db' },
    });
    expect(settings.secrets).toEqual({ smtpUrl: 'smtp://127.0.0.1:2525', smtpPassword: undefined, unsubscribeSecret: 's3cret' });
    expect(settings.dbPath).toBe(path.join(dir, 'data', 'fw.db'));
    expect(loadSettings({ cwd: dir, env: { FINTECHWEEKLY_DB: '' } }).dbPath).toBe(path.join(dir, 'fintechweekly.db'));
  });
});

describe('a bad config: the message names the file, the line and the key', () => {
  it('a YAML syntax error: file, line and column', () => {
    const file = write('fintechweekly.config.yaml', 'lang: id\npaths:\n  issues: issues\n dist: dist\n');
    const error = loadError();
    expect(error.message).toBe(`${shown(file)}:4:1: the config is not valid YAML: All mapping items must start at the same column`);
    expect(error).toMatchObject({ file, hint: expect.stringContaining('at that line'), exitCode: EXIT.error });
    write('fintechweekly.config.yaml', 'lang: id\nserve:\n  port: 8080\n  port: 9090\n');
    expect(loadError().message).toBe(`${shown(file)}:4:3: the config is not valid YAML: Map keys must be unique`);
  });

  it('invalid JSON is called JSON', () => {
    const file = write('fintechweekly.config.json', '{ "lang": "en",, }');
    expect(loadError().message).toMatch(new RegExp(`^${escape(shown(file))}:1:\\d+: the config is not valid JSON: \\S`));
  });

  it('every wrong value and unknown key on its own line, with the line it is on and the key as written', () => {
    const file = write(
      'fintechweekly.config.yaml',
      ['brand:', '  name: FinTech Weekly', '  colour: red', 'smtp:', '  port: "587"', 'test:', '  recipients:', '    - editor@example.com', '    - not-an-address', 'timezone: Mars/Olympus', 'mystery: 1', ''].join('\n'),
    );
    const error = loadError();
    const lines = error.message.split('\n');
    const rel = shown(file);
    expect(lines).toEqual(
      expect.arrayContaining([
        `${rel}:3: brand: unknown key "colour"`,
        `${rel}:5: smtp.port: Invalid input: expected number, received string`,
        `${rel}:9: test.recipients[1]: must be an email address like name@example.com`,
        `${rel}:10: timezone: must be an IANA time zone like Asia/Jakarta`,
        `${rel}:11: unknown key "mystery"`,
      ]),
    );
    expect(lines).toHaveLength(5);
    expect(error).toMatchObject({ file, hint: expect.stringContaining('Configuration'), exitCode: EXIT.error });
  });

  it('a JSON config names lines too', () => {
    const file = write('fintechweekly.config.json', '{\n  "lang": "fr",\n  "serve": { "port": -1 }\n}\n');
    expect(loadError().message.split('\n')).toEqual([`${shown(file)}:2: lang: must be one of: id, en`, expect.stringMatching(new RegExp(`^${escape(shown(file))}:3: serve\\.port: `))]);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
