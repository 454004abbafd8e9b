import { compile, type FormatCallback, type HtmlToTextOptions } from 'html-to-text';
import { escapeHtml } from '../escape-html.js';

// Headings keep their case (Indonesian all-caps reads as shouting) and are marked the Markdown way.
const heading: FormatCallback = (elem, walk, builder, formatOptions) => {
  const level = Number(elem.name?.slice(1)) || 2;
  builder.openBlock({ leadingLineBreaks: formatOptions.leadingLineBreaks ?? 2 });
  builder.addInline(`${'#'.repeat(level)} `);
  walk(elem.children, builder);
  builder.closeBlock({ trailingLineBreaks: formatOptions.trailingLineBreaks ?? 1 });
};

const OPTIONS: HtmlToTextOptions = {
  wordwrap: 78,
  formatters: { heading },
  selectors: [
    { selector: 'a', options: { linkBrackets: ['<', '>'], hideLinkHrefIfSameAsText: true } },
    { selector: 'img', options: { linkBrackets: ['<', '>'] } },
    ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, format: 'heading', options: { leadingLineBreaks: 2, trailingLineBreaks: 1 } })),
    { selector: 'table', format: 'dataTable', options: { uppercaseHeaderCells: false, maxColumnWidth: 30 } },
    { selector: 'ul', options: { itemPrefix: ' - ' } },
    { selector: 'pre', format: 'pre' },
  ],
};

// Compiling the options (selectors) once matters: it costs more than converting a whole issue.
const convert = compile(OPTIONS);

/** The body's HTML as readable plain text: links as `text <url>`, headings marked, tables as columns. */
export function htmlToPlainText(html: string): string {
  return convert(html).trim();
}

export interface PlainTextLink {
  label: string;
  url: string;
}

export interface PlainTextParts {
  tagline: string;
  viewInBrowser: PlainTextLink;
  title: string;
  bodyHtml: string;
  source: PlainTextLink | undefined;
  disclaimer: string;
  /** Footer lines in order; links print as `label: <url>`. */
  footer: (string | PlainTextLink)[];
}

const wrap = (text: string) => htmlToPlainText(`<p>${escapeHtml(text)}</p>`);
const linkLine = (link: PlainTextLink) => `${link.label}: <${link.url}>`;

/** The text/plain part: the same content as the HTML, in the same order. */
export function renderPlainText(parts: PlainTextParts): string {
  const blocks = [
    `${wrap(parts.tagline)}\n${linkLine(parts.viewInBrowser)}`,
    `${parts.title}\n${'='.repeat(Math.min(parts.title.length, 78))}`,
    htmlToPlainText(parts.bodyHtml),
    parts.source ? linkLine(parts.source) : '',
    wrap(parts.disclaimer),
    ['--', ...parts.footer.map((line) => (typeof line === 'string' ? wrap(line) : linkLine(line)))].join('\n'),
  ];
  return `${blocks.filter((b) => b.trim() !== '').join('\n\n')}\n`;
}
