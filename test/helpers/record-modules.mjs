// Preload for a spawned CLI: `node --import <this file> bin/fintechweekly.js ...` with
// FW_MODULE_LOG=<file> appends the URL of every module the process imports to that file, so a
// test can assert that a command never loaded a heavy dependency (mjml).
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url, { data: { log: process.env.FW_MODULE_LOG } });
