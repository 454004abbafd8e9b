import { Marked, Renderer, type Tokens } from 'marked';
import sanitizeHtml from 'sanitize-html';

/** What the body links to and shows, as the editor wrote it (before unsafe URLs were dropped). */
export interface BodyReferences {
  links: string[];
  images: { src: string; alt: string | undefined }[];
}

export interface EmailBody {
  /** Sanitized HTML with the email touches applied: safe to insert into the template unescaped. */
  html: string;
  references: BodyReferences;
}

const TABLE_WRAPPER_CLASS = 'fw-table';

// Tables wider than a phone scroll inside their own box instead of widening the whole email.
const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    table(this: { parser: Renderer['parser'] }, token: Tokens.Table) {
      const table = Renderer.prototype.table.call(this as Renderer, token);
      return `<div class="${TABLE_WRAPPER_CLASS}">${table}</div>\n`;
    },
  },
});

// Inline styles, because many mail clients drop <style> blocks (and inlining them with MJML's
// juice would cost more than the rest of a compile). They replace any style an editor wrote in
// raw HTML (style attributes are not allowed otherwise).
const STYLE = {
  img: 'max-width:100%;height:auto;border:0;display:block;',
  table: 'border-collapse:collapse;width:100%;max-width:100%;',
  cell: 'border:1px solid #d5dae1;padding:6px 8px;vertical-align:top;word-break:break-word;overflow-wrap:anywhere;',
  pre: 'white-space:pre-wrap;word-wrap:break-word;overflow-wrap:anywhere;word-break:break-word;background-color:#f3f5f8;padding:12px;border-radius:4px;font-family:Menlo,Consolas,monospace;font-size:13px;line-height:1.5;',
  code: 'font-family:Menlo,Consolas,monospace;font-size:90%;word-break:break-word;overflow-wrap:anywhere;',
  link: 'word-break:break-word;overflow-wrap:anywhere;',
  tableWrapper: 'width:100%;max-width:100%;overflow-x:auto;',
  blockquote: 'margin:0 0 16px 0;padding:4px 0 4px 16px;border-left:4px solid #d5dae1;',
  paragraph: 'margin:0 0 16px 0;',
  h2: 'font-size:20px;line-height:1.35;margin:28px 0 8px 0;',
  h3: 'font-size:17px;line-height:1.35;margin:20px 0 6px 0;',
} as const;

const BLOCK_TAGS = ['p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li', 'pre', 'div'];
const INLINE_TAGS = ['a', 'img', 'strong', 'b', 'em', 'i', 'del', 's', 'u', 'sub', 'sup', 'code', 'span', 'small', 'mark'];
const TABLE_TAGS = ['table', 'caption', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td'];

export interface EmailBodyOptions {
  /** Colour of links (the brand's primary colour). */
  linkColor: string;
}

export function markdownToEmailHtml(markdown: string, { linkColor }: EmailBodyOptions = { linkColor: '#0b5cff' }): EmailBody {
  const rendered = marked.parse(markdown) as string;
  const references: BodyReferences = { links: [], images: [] };
  const withStyle = (style: string) => (tagName: string, attribs: sanitizeHtml.Attributes) => ({ tagName, attribs: { ...attribs, style } });
  const alignedCell = (tagName: string, attribs: sanitizeHtml.Attributes) => {
    const align = attribs.align === 'center' || attribs.align === 'right' ? attribs.align : 'left';
    return { tagName, attribs: { ...attribs, style: `${STYLE.cell}text-align:${align};` } };
  };
  const html = sanitizeHtml(rendered, {
    allowedTags: [...BLOCK_TAGS, ...INLINE_TAGS, ...TABLE_TAGS],
    allowedAttributes: {
      a: ['href', 'title', 'style'],
      img: ['src', 'alt', 'title', 'width', 'height', 'style'],
      th: ['align', 'colspan', 'rowspan', 'style'],
      td: ['align', 'colspan', 'rowspan', 'style'],
      ol: ['start'],
      div: ['class', 'style'],
      table: ['style'],
      pre: ['style'],
      code: ['style'],
      blockquote: ['style'],
      p: ['style'],
      h2: ['style'],
      h3: ['style'],
    },
    allowedClasses: { div: [TABLE_WRAPPER_CLASS] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: {
      a: (tagName, attribs) => {
        if (attribs.href !== undefined) references.links.push(attribs.href);
        return { tagName, attribs: { ...attribs, style: `${STYLE.link}color:${linkColor};` } };
      },
      img: (tagName, attribs) => {
        references.images.push({ src: attribs.src ?? '', alt: attribs.alt });
        return { tagName, attribs: { alt: '', ...attribs, style: STYLE.img } };
      },
      table: withStyle(STYLE.table),
      th: alignedCell,
      td: alignedCell,
      pre: withStyle(STYLE.pre),
      code: withStyle(STYLE.code),
      blockquote: withStyle(STYLE.blockquote),
      p: withStyle(STYLE.paragraph),
      h2: withStyle(STYLE.h2),
      h3: withStyle(STYLE.h3),
      div: (tagName, attribs) => {
        const tableWrapper: sanitizeHtml.Attributes = { class: TABLE_WRAPPER_CLASS, style: STYLE.tableWrapper };
        return { tagName, attribs: attribs.class === TABLE_WRAPPER_CLASS ? tableWrapper : {} };
      },
    },
  });
  return { html, references };
}
