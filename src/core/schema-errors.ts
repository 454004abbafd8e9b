import type { z } from 'zod';
import { FintechWeeklyError } from './errors.js';

/** One line per problem, naming the field the way the editor wrote it (`smtp.port`, `date`). */
export function describeSchemaProblem(issue: z.core.$ZodIssue): { path: (string | number)[]; message: string } {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return { path, message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}` };
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return { path, message: 'is required' };
  }
  return { path, message: issue.message };
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/**
 * A JSON file of named strings (a template's strings.<lang>.json, pages.<lang>.json) checked
 * against its schema; every error names the file and the key, and the hint lists the keys.
 */
export function parseKeyedJson<S extends z.ZodObject>(schema: S, text: string, file: string): z.infer<S> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new FintechWeeklyError(`${file}: not valid JSON: ${(error as Error).message}`, { file });
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const { path, message } = describeSchemaProblem(issue);
      return `${file}: ${formatPath(path) || '(top level)'}: ${message}`;
    });
    throw new FintechWeeklyError(lines.join('\n'), { file, hint: `Keys: ${Object.keys(schema.shape).join(', ')}.` });
  }
  return result.data;
}
