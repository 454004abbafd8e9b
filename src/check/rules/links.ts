import { resultFromFindings, type CheckResult, type Finding } from './result.js';
import { outlineHtml } from './html-outline.js';

const shorten = (url: string) => (url.length > 80 ? `${url.slice(0, 77)}...` : url);

function linkFinding(href: string | undefined, text: string): Finding | undefined {
  const label = text ? ` ("${text.length > 40 ? `${text.slice(0, 37)}...` : text}")` : '';
  if (href === undefined || href.trim() === '') return { status: 'fail', message: `a link${label} has an empty href` };
  const url = href.trim();
  if (/^mailto:/i.test(url)) return undefined;
  if (/^https:\/\/[^/\s]+/i.test(url)) return undefined;
  if (/^http:\/\//i.test(url)) return { status: 'warn', message: `link ${shorten(url)}${label} is plain http: use https` };
  return { status: 'fail', message: `link ${shorten(url)}${label} is neither an https nor a mailto URL; mail apps cannot open relative or script links` };
}

function imageFinding(src: string | undefined, alt: string | undefined): Finding | undefined {
  const name = src ? shorten(src) : '(no src)';
  if (src === undefined || !/^https:\/\/[^/\s]+/i.test(src.trim())) {
    return { status: 'fail', message: `image ${name} needs an absolute https URL: mail apps do not load relative, http or data URLs reliably` };
  }
  if (alt === undefined) return { status: 'fail', message: `image ${name} has no alt text: many readers see images blocked; add alt text` };
  return undefined;
}

/** Every link opens in a mail app and every image loads and has a text replacement. */
export function checkLinks(html: string): CheckResult {
  const { links, images } = outlineHtml(html);
  const findings = [...links.map((l) => linkFinding(l.href, l.text)), ...images.map((i) => imageFinding(i.src, i.alt))].filter(
    (f): f is Finding => f !== undefined,
  );
  return resultFromFindings('links', 'Links and images', findings, `${links.length} links (https/mailto) and ${images.length} images with alt text and https URLs`);
}
