import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/load.js';
import { LANGS } from '../config/schema.js';
import { FintechWeeklyError } from '../core/errors.js';
import { TEMPLATE_ENTRY, type TemplateSource } from '../core/issue/template.js';

export interface LoadedTemplate {
  source: TemplateSource;
  /** Changes whenever any template file or strings file changes. */
  hash: string;
  /** Absolute folder, for watching. */
  root: string;
}

/** Reads the configured template folder: issue.mjml, every *.mjml below it, strings.<lang>.json. */
export function readTemplate(settings: Settings): LoadedTemplate {
  const templatesRoot = path.resolve(settings.root, settings.config.paths.templates);
  const root = path.join(templatesRoot, settings.config.template);
  const dir = path.relative(settings.root, root) || '.';
  const entry = path.join(root, TEMPLATE_ENTRY);
  if (!existsSync(entry)) {
    throw new FintechWeeklyError(`${dir}/${TEMPLATE_ENTRY}: template not found (the config's template is "${settings.config.template}")`, {
      file: entry,
      hint: `Set "template" in the config to a folder under ${path.relative(settings.root, templatesRoot) || '.'}/ that holds ${TEMPLATE_ENTRY}, or restore that file.`,
    });
  }
  const files = new Map<string, string>();
  const hash = createHash('sha256');
  for (const name of (readdirSync(root, { recursive: true }) as string[]).map((n) => n.split(path.sep).join('/')).sort()) {
    if (!name.endsWith('.mjml')) continue;
    const text = readFileSync(path.join(root, name), 'utf8');
    files.set(name, text);
    hash.update(`${name}\0${text}\0`);
  }
  const strings: TemplateSource['strings'] = {};
  for (const lang of LANGS) {
    const file = path.join(root, `strings.${lang}.json`);
    if (!existsSync(file)) continue;
    strings[lang] = readFileSync(file, 'utf8');
    hash.update(`strings.${lang}\0${strings[lang]}\0`);
  }
  return { source: { dir, files, strings }, hash: hash.digest('hex'), root };
}
