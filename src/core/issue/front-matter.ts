import matter from 'gray-matter';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { LANGS, type Lang } from '../../config/schema.js';
import { FintechWeeklyError } from '../errors.js';
import { assertHeaderSafe } from '../message/header-safe.js';
import { describeSchemaProblem, formatPath } from '../schema-errors.js';

const oneLine = (s: string) => !/[\r\n\0]/.test(s);
const ONE_LINE = 'must be on one line (no line break or NUL character: it goes into an email header)';

/** A YYYY-MM-DD string that names a day that exists (no 2026-02-30). */
const DATE_FORMAT = 'must be a date written YYYY-MM-DD, e.g. 2026-11-27';
const calendarDate = z.string({ error: DATE_FORMAT }).superRefine((s, ctx) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    ctx.addIssue({ code: 'custom', message: DATE_FORMAT });
    return;
  }
  const d = new Date(`${s}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s) ctx.addIssue({ code: 'custom', message: 'is not a real calendar date' });
});

export const frontMatterSchema = z
  .object({
    title: z.string({ error: 'must be text' }).refine(oneLine, ONE_LINE).trim().min(1, 'must not be empty'),
    date: calendarDate,
    subject: z.string({ error: 'must be text' }).refine(oneLine, ONE_LINE).trim().min(1, 'must not be empty').optional(),
    preheader: z.string({ error: 'must be text' }).refine(oneLine, ONE_LINE).trim().optional(),
    source: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://example.com/article' }).optional(),
    lang: z.enum(LANGS, { error: `must be one of: ${LANGS.join(', ')}` }).optional(),
    slug: z
      .string({ error: 'must be text' })
      .regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes, e.g. 2026-11-27-klarna')
      .optional(),
    /** When the issue should go out (read by `schedule`); any ISO 8601 date-time. */
    send_at: z
      .string({ error: 'must be an ISO 8601 date-time like 2026-11-27T08:00:00+07:00' })
      .refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 date-time like 2026-11-27T08:00:00+07:00')
      .optional(),
  })
  .strict();

export type FrontMatter = z.infer<typeof frontMatterSchema>;

export interface ParsedIssue {
  frontMatter: FrontMatter;
  subject: string;
  preheader: string;
  lang: Lang;
  /** The Markdown after the front matter. */
  markdown: string;
}

export interface ParseOptions {
  /** How the file is named in messages (a path relative to the project). */
  file: string;
  defaultLang: Lang;
}

const HINT_FORMAT = 'An issue starts with a front matter block between two "---" lines (title, date, ...), then the Markdown text. See docs/writing.md.';

function fail(message: string, file: string, hint = HINT_FORMAT): never {
  throw new FintechWeeklyError(message, { file, hint });
}

/** Issue files must be UTF-8; anything else would put mojibake into thousands of inboxes. */
export function decodeIssue(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8Line(bytes);
    return fail(`${file}:${at}: the file is not valid UTF-8 text`, file, 'Save the file as UTF-8 in your editor ("Save with encoding" -> UTF-8).');
  }
}

function firstInvalidUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        decoder.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/** Splits, parses and validates an issue file's text. Every error names the file and the line or field. */
export function parseIssue(text: string, { file, defaultLang }: ParseOptions): ParsedIssue {
  if (text.trim() === '') fail(`${file}:1: the file is empty`, file);
  if (!/^---[ \t]*\r?\n/.test(text)) fail(`${file}:1: no front matter: the file must start with a line "---"`, file);

  let doc: Document.Parsed | undefined;
  const lineCounter = new LineCounter();
  const parsed = matter(text, {
    engines: {
      yaml: (source: string) => {
        doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
        const error = doc.errors[0];
        if (error) {
          // The YAML text starts with the newline that ends the opening "---", so its lines are the file's lines.
          const pos = lineCounter.linePos(error.pos[0]);
          const where = `${pos.line}:${pos.col}`;
          fail(`${file}:${where}: front matter is not valid YAML: ${error.message.split('\n')[0]}`, file, 'Fix the syntax at that line (indentation, a missing colon, or quotes around a value that contains ": ").');
        }
        return (doc.toJS() ?? {}) as object;
      },
    },
  });
  if (!/^---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/.test(text)) {
    fail(`${file}:1: the front matter is not closed: add a line "---" after it`, file);
  }
  const data: unknown = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    fail(`${file}:2: front matter must be "key: value" lines (title, date, ...)`, file);
  }

  const result = frontMatterSchema.safeParse(data, { reportInput: true });
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const { path, message } = describeSchemaProblem(issue);
      // An unknown key is reported at its own line, not at the start of the block.
      const at = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
      const node = doc?.getIn(at, true);
      const line = isNode(node) && node.range ? lineCounter.linePos(node.range[0]).line : 1;
      const field = formatPath(path);
      return `${file}:${line}: ${field ? `${field}: ` : ''}${message}`;
    });
    fail(lines.join('\n'), file, 'Fix the front matter field named above. Known fields: title, date, subject, preheader, source, lang, slug, send_at.');
  }
  const frontMatter = result.data;
  const markdown = parsed.content;
  return {
    frontMatter,
    subject: assertHeaderSafe(frontMatter.subject ?? frontMatter.title, `${file}: subject`, file),
    preheader: assertHeaderSafe(frontMatter.preheader ?? defaultPreheader(markdown), `${file}: preheader`, file),
    lang: frontMatter.lang ?? defaultLang,
    markdown,
  };
}

const PREHEADER_LENGTH = 120;

/** The start of the first paragraph, as plain text, cut at a word boundary. */
export function defaultPreheader(markdown: string): string {
  const paragraph = markdown
    .split(/\r?\n\s*\r?\n/)
    .map((block) => block.trim())
    .find((block) => block !== '' && !/^(#|!\[|<|```|[-*+] |\d+\. |\||>)/.test(block));
  if (!paragraph) return '';
  const plain = paragraph
    .replace(/!\[[^\]]*\]\([^)]*\)/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_`~]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= PREHEADER_LENGTH) return plain;
  const cut = plain.slice(0, PREHEADER_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${(space > 60 ? cut.slice(0, space) : cut).replace(/[\s,.;:—-]+$/, '')}…`;
}
