import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Lang } from '../config/schema.js';
import type { Settings } from '../config/load.js';
import { FintechWeeklyError } from '../core/errors.js';
import { parseKeyedJson } from '../core/schema-errors.js';

/** The words of the web pages (archive, unsubscribe), one file per language: templates/<name>/pages.<lang>.json. */
export const pageStringsSchema = z
  .object({
    archiveTitle: z.string().min(1),
    archiveIntro: z.string(),
    archiveEmpty: z.string().min(1),
    backToArchive: z.string().min(1),
    /** The archive's link to the sign-up form; a template from before the form has none and shows no link. */
    subscribeLink: z.string().min(1).optional(),
    unsubscribeTitle: z.string().min(1),
    unsubscribeQuestion: z.string().min(1),
    unsubscribeButton: z.string().min(1),
    unsubscribedTitle: z.string().min(1),
    unsubscribedText: z.string().min(1),
    invalidLinkTitle: z.string().min(1),
    invalidLinkText: z.string().min(1),
    badRequestText: z.string().min(1),
    notFoundTitle: z.string().min(1),
    notFoundText: z.string().min(1),
    errorTitle: z.string().min(1),
    errorText: z.string().min(1),
  })
  .strict();

export type PageStrings = z.infer<typeof pageStringsSchema>;

/**
 * Reads pages.<lang>.json from the configured template, falling back to the default template's
 * (a template copied before the pages existed still gets working pages). Errors name the file and key.
 */
export function loadPageStrings(settings: Settings, lang: Lang): PageStrings {
  return loadTemplateStrings(settings, `pages.${lang}.json`, pageStringsSchema, (missing) =>
    new FintechWeeklyError(`${missing}: missing: no web page strings for lang "${lang}"`, {
      hint: `Create it with the keys ${Object.keys(pageStringsSchema.shape).join(', ')} (the fintechweekly repository's templates/default/pages.en.json is an example), or set "lang" in the config to a language that has one.`,
    }),
  );
}

/**
 * A strings file (`pages.<lang>.json`, `signup.<lang>.json`) from the configured template, else the
 * default template's, checked against its schema; errors name the file and key. `whenMissing` gets
 * the configured template's path, as the editor would look for it.
 */
export function loadTemplateStrings<S extends z.ZodObject>(settings: Settings, fileName: string, schema: S, whenMissing: (shownPath: string) => FintechWeeklyError): z.infer<S> {
  const templatesDir = path.resolve(settings.root, settings.config.paths.templates);
  const candidates = [...new Set([settings.config.template, 'default'])].map((t) => path.join(templatesDir, t, fileName));
  const file = candidates.find((f) => existsSync(f));
  const shown = (f: string) => path.relative(settings.root, f) || f;
  if (!file) throw whenMissing(shown(candidates[0] as string));
  return parseKeyedJson(schema, readFileSync(file, 'utf8'), shown(file));
}
