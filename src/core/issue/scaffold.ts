import { stringify } from 'yaml';
import type { Lang } from '../../config/schema.js';
import { UsageError } from '../errors.js';
import { frontMatterSchema } from './front-matter.js';
import { describeSchemaProblem, formatPath } from '../schema-errors.js';

/** A URL- and file-name-safe slug: "CEO Klarna: PHK & AI" -> "ceo-klarna-phk-ai". */
export function slugify(title: string, maxLength = 60): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = slug.length > maxLength ? slug.slice(0, maxLength).replace(/-[^-]*$/, '') : slug;
  return cut || 'issue';
}

export interface ScaffoldInput {
  title: string;
  date: string;
  source?: string | undefined;
  lang: Lang;
}

const BODY: Record<Lang, string> = {
  id: 'Tulis paragraf pembuka di sini. Kalimat pertamanya menjadi preheader (teks pratinjau di kotak masuk) kecuali Anda mengisi `preheader`.\n\n## Judul bagian\n\nIsi bagian ini. Tautan ditulis seperti [teks](https://example.com).\n',
  en: 'Write the opening paragraph here. Its first sentence becomes the preheader (the inbox preview text) unless you set `preheader`.\n\n## Section heading\n\nThe section text. Links are written like [text](https://example.com).\n',
};

/** For a prompt: true, or what is wrong with this one answer (the rule is the front matter's). */
export function checkScaffoldField(field: 'title' | 'date' | 'source', value: string): true | string {
  const result = frontMatterSchema.shape[field].safeParse(value);
  const first = result.error?.issues[0];
  return first ? describeSchemaProblem(first).message : true;
}

/** The file name and text of a new issue; the input is validated like any issue's front matter. */
export function scaffoldIssue(input: ScaffoldInput): { fileName: string; text: string } {
  const frontMatter = { title: input.title.trim(), date: input.date, ...(input.source ? { source: input.source } : {}), lang: input.lang };
  const result = frontMatterSchema.safeParse(frontMatter);
  if (!result.success) {
    const first = result.error.issues[0];
    const { path, message } = first ? describeSchemaProblem(first) : { path: [], message: 'is invalid' };
    throw new UsageError(`--${formatPath(path)}: ${message}`);
  }
  const text = `---\n${stringify(frontMatter, { lineWidth: 0 })}---\n\n${BODY[input.lang]}`;
  return { fileName: `${input.date}-${slugify(frontMatter.title)}.md`, text };
}
