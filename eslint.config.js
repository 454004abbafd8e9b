import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (paths, patterns = []) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});
const nodemailerOnlyInMail = [{ name: 'nodemailer', message: 'Only src/mail imports nodemailer.' }];
const sqliteOnlyInStore = [{ name: 'better-sqlite3', message: 'Only src/store speaks SQL.' }];

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
    ignores: ['src/mail/**', 'src/store/**'],
    rules: restrict([...nodemailerOnlyInMail, ...sqliteOnlyInStore]),
  },
  { files: ['src/mail/**/*.ts'], rules: restrict(sqliteOnlyInStore) },
  { files: ['src/store/**/*.ts'], rules: restrict(nodemailerOnlyInMail) },
  {
    // The core is pure: files, sockets, the environment and the clock are passed in.
    files: ['src/core/**/*.ts'],
    rules: {
      ...restrict(
        [...nodemailerOnlyInMail, ...sqliteOnlyInStore],
        [{ group: ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:net', 'node:http', 'node:https', 'node:child_process', 'node:process'], message: 'src/core is pure: pass I/O in.' }],
      ),
      'no-restricted-globals': ['error', { name: 'process', message: 'src/core is pure: pass env and argv in.' }, { name: 'fetch', message: 'src/core is pure.' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'src/core is pure: pass the clock in.' }, { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'src/core is pure: pass the clock in.' }],
    },
  },
  {
    // Only the CLI knows about exit codes and TTYs.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'exit', message: 'Only src/cli exits.' }, { object: 'process', property: 'exitCode', message: 'Only src/cli sets exit codes.' }, { object: 'process', property: 'argv', message: 'Only src/cli reads argv.' }],
    },
  },
);
