import { z } from 'zod';
import type { Lang } from '../../config/schema.js';
import { FintechWeeklyError } from '../errors.js';
import { parseKeyedJson } from '../schema-errors.js';

/** The interface words of the email, one set per language (templates/<name>/strings.<lang>.json). */
export const interfaceStringsSchema = z
  .object({
    viewInBrowser: z.string().min(1),
    viewOriginal: z.string().min(1),
    discover: z.string().min(1),
    subscribe: z.string().min(1),
    unsubscribe: z.string().min(1),
    unsubscribeNote: z.string(),
  })
  .strict();

export type InterfaceStrings = z.infer<typeof interfaceStringsSchema>;

export const TEMPLATE_ENTRY = 'issue.mjml';

/** A template read from disk: its files by relative path (issue.mjml, partials/...) and its strings files. */
export interface TemplateSource {
  /** How messages name the template folder, e.g. "templates/default". */
  dir: string;
  files: ReadonlyMap<string, string>;
  /** Raw text of strings.<lang>.json by language, for the languages that have one. */
  strings: Partial<Record<Lang, string>>;
}

/** Parses and checks the strings file for `lang`; errors name the file and the key. */
export function interfaceStrings(template: TemplateSource, lang: Lang): InterfaceStrings {
  const file = `${template.dir}/strings.${lang}.json`;
  const raw = template.strings[lang];
  if (raw === undefined) {
    throw new FintechWeeklyError(`${file}: missing: the template has no interface strings for lang "${lang}"`, {
      file,
      hint: `Add ${file} (copy strings.id.json and translate it), or use a lang the template supports.`,
    });
  }
  return parseKeyedJson(interfaceStringsSchema, raw, file);
}

const LIQUID_TAG = /\{\{.*?\}\}|\{%.*?%\}/g;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * MJML reports lines of the rendered document, where partials are already included and the body
 * is inserted. Find the template line that produced `renderedLine` by matching its literal text
 * (Liquid tags match anything), so that an MJML error can name the template file and line.
 */
export function locateTemplateLine(template: TemplateSource, renderedLine: string): { file: string; line: number } | undefined {
  const target = renderedLine.trim();
  if (target === '') return undefined;
  const entryFirst = [...template.files.keys()].sort((a, b) => Number(b === TEMPLATE_ENTRY) - Number(a === TEMPLATE_ENTRY));
  for (const name of entryFirst) {
    const lines = (template.files.get(name) ?? '').split('\n');
    for (const [index, line] of lines.entries()) {
      const literal = line.trim();
      if (literal.replace(LIQUID_TAG, '').trim() === '') continue;
      const pattern = new RegExp(`^${literal.split(LIQUID_TAG).map(escapeRegExp).join('.*?')}$`);
      if (pattern.test(target)) return { file: `${template.dir}/${name}`, line: index + 1 };
    }
  }
  return undefined;
}
