import { DomUtils, parseDocument } from 'htmlparser2';

/** Read-only views of an email's HTML that the checks need: links, images, headings, words. */
type Document = ReturnType<typeof parseDocument>;
type Element = ReturnType<typeof DomUtils.getElementsByTagName>[number];

export interface HtmlLink {
  /** undefined when the attribute is missing. */
  href: string | undefined;
  text: string;
}

export interface HtmlImage {
  src: string | undefined;
  alt: string | undefined;
}

export interface HtmlOutline {
  links: HtmlLink[];
  images: HtmlImage[];
  /** Text of h1-h3, in document order. */
  headings: string[];
  /** What a reader sees: text outside <head>, <style>, <script> and display:none elements. */
  visibleText: string;
}

export function normalizeSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const HIDDEN_STYLE = /display\s*:\s*none/i;

function isHidden(element: Element): boolean {
  for (let node: Element | null = element; node; node = node.parent as Element | null) {
    if (node.type !== 'tag') break;
    if (['head', 'style', 'script', 'title'].includes(node.name)) return true;
    if (HIDDEN_STYLE.test(node.attribs.style ?? '')) return true;
  }
  return false;
}

function visibleTextOf(document: Document): string {
  const texts: string[] = [];
  const walk = (nodes: Document['children']) => {
    for (const node of nodes) {
      if (node.type === 'text') texts.push(node.data);
      else if ('children' in node && !(node.type === 'tag' && isHidden(node as Element))) walk(node.children);
    }
  };
  walk(document.children);
  return normalizeSpace(texts.join(' '));
}

export function outlineHtml(html: string): HtmlOutline {
  const document = parseDocument(html, { decodeEntities: true });
  const elements = (name: string) => DomUtils.getElementsByTagName(name, document, true);
  const text = (element: Element) => normalizeSpace(DomUtils.textContent(element));
  return {
    links: elements('a').map((a) => ({ href: a.attribs.href, text: text(a) })),
    images: elements('img').map((img) => ({ src: img.attribs.src, alt: img.attribs.alt })),
    headings: DomUtils.findAll((e) => /^h[1-3]$/.test(e.name) && !isHidden(e), document.children)
      .map(text)
      .filter((t) => t !== ''),
    visibleText: visibleTextOf(document),
  };
}
