import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/*
 * The rooms of docs/architecture.md, written down:
 * - src/core, src/check/rules and src/bounces/parse are pure: files, sockets, the environment and the clock are passed in;
 * - only src/delivery imports nodemailer (the SMTP transport);
 * - only src/store imports better-sqlite3 or runs SQL (prepare, exec, pragma, transaction);
 * - only src/cli exits, sets exit codes or reads argv;
 * - src/app (the use-cases) never prints, reads the environment or talks to a terminal: it takes
 *   settings and an event sink and returns a report.
 */
const restrict = (paths, patterns = []) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});
const nodemailerOnlyInDelivery = [{ name: 'nodemailer', message: 'Only src/delivery imports nodemailer.' }];
const nodemailerPattern = { group: ['nodemailer/*'], message: 'Only src/delivery imports nodemailer.' };
const sqliteOnlyInStore = [{ name: 'better-sqlite3', message: 'Only src/store speaks SQL.' }];
const sqlCalls = [
  { selector: "CallExpression[callee.property.name=/^(prepare|pragma|transaction)$/]", message: 'Only src/store speaks SQL: add a function to src/store and call it.' },
  { selector: "CallExpression[callee.property.name='exec'][arguments.0.type=/^(Literal|TemplateLiteral)$/]", message: 'Only src/store speaks SQL: add a function to src/store and call it.' },
];
const pureSyntax = [
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'This room is pure: pass the clock in.' },
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'This room is pure: pass the clock in.' },
];
const cliOnly = [
  { object: 'process', property: 'exit', message: 'Only src/cli exits.' },
  { object: 'process', property: 'exitCode', message: 'Only src/cli sets exit codes.' },
  { object: 'process', property: 'argv', message: 'Only src/cli reads argv.' },
];
const pureRooms = ['src/core/**/*.ts', 'src/check/rules/**/*.ts', 'src/bounces/parse/**/*.ts'];

export default tseslint.config(
  { ignores: ['lib/', 'dist/', 'node_modules/', 'coverage/', '.bench/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/delivery/**', 'src/store/**', ...pureRooms],
    rules: { ...restrict([...nodemailerOnlyInDelivery, ...sqliteOnlyInStore], [nodemailerPattern]), 'no-restricted-syntax': ['error', ...sqlCalls] },
  },
  { files: ['src/delivery/**/*.ts'], rules: { ...restrict(sqliteOnlyInStore), 'no-restricted-syntax': ['error', ...sqlCalls] } },
  { files: ['src/store/**/*.ts'], rules: restrict(nodemailerOnlyInDelivery, [nodemailerPattern]) },
  {
    files: pureRooms,
    rules: {
      ...restrict(
        [...nodemailerOnlyInDelivery, ...sqliteOnlyInStore],
        [nodemailerPattern, { group: ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:process', 'node:os', 'node:worker_threads'], message: 'This room is pure: pass I/O in.' }],
      ),
      'no-restricted-globals': ['error', { name: 'process', message: 'This room is pure: pass env and argv in.' }, { name: 'fetch', message: 'This room is pure.' }],
      'no-restricted-syntax': ['error', ...sqlCalls, ...pureSyntax],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-restricted-properties': ['error', ...cliOnly] },
  },
  {
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...cliOnly,
        ...['stdout', 'stderr', 'stdin'].map((property) => ({ object: 'process', property, message: 'A use-case never prints: emit an event or return it in the report; src/cli prints.' })),
        { object: 'process', property: 'env', message: 'A use-case takes its settings: src/cli reads the environment.' },
      ],
      'no-restricted-globals': ['error', { name: 'console', message: 'A use-case never prints: emit an event or return it in the report; src/cli prints.' }],
    },
  },
);
