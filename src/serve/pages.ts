import type { Config } from '../config/schema.js';
import { escapeHtml } from '../core/escape-html.js';
import { subscribeUrl } from '../core/message/placeholders.js';
import type { PageStrings } from './strings.js';

/** One built issue as the archive lists it (dist/<slug>/issue.json). */
export interface ArchiveEntry {
  slug: string;
  title: string;
  /** YYYY-MM-DD, from the front matter. */
  date: string;
  subject: string;
  preheader: string;
  lang: string;
}

export interface PageContext {
  config: Config;
  strings: PageStrings;
}


/** The common frame: brand colours, readable on a phone, no scripts, no external resources. `style` adds CSS rules. */
export function page({ config }: PageContext, title: string, body: string, options: { index?: boolean; style?: string } = {}): string {
  const c = config.brand.colors;
  return `<!doctype html>
<html lang="${escapeHtml(config.lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${options.index ? '' : '<meta name="robots" content="noindex">\n'}<title>${escapeHtml(title)} · ${escapeHtml(config.brand.name)}</title>
<style>
body{margin:0;background:${c.background};color:${c.text};font:16px/1.5 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:600px;margin:32px auto;padding:24px;background:${c.surface};border-radius:6px}
h1{font-size:24px;line-height:1.3;margin:0 0 16px}
a{color:${c.primary}}
.muted{color:${c.muted};font-size:14px}
button{background:${c.primary};color:#fff;border:0;border-radius:4px;padding:12px 24px;font:inherit;font-weight:700;cursor:pointer}
ol{list-style:none;padding:0}
li{margin:0 0 20px}
${options.style ?? ''}</style>
</head>
<body>
<main>
<p class="muted">${escapeHtml(config.brand.name)}</p>
${body}
</main>
</body>
</html>
`;
}

/** What GET /u/TOKEN shows: nothing happens until the button is pressed (mail scanners follow links). */
export function unsubscribeConfirmPage(context: PageContext): string {
  const s = context.strings;
  // No action attribute: the form posts to the URL it was loaded from, wherever a proxy mounts it.
  return page(
    context,
    s.unsubscribeTitle,
    `<h1>${escapeHtml(s.unsubscribeTitle)}</h1>
<p>${escapeHtml(s.unsubscribeQuestion)}</p>
<form method="post">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${escapeHtml(s.unsubscribeButton)}</button>
</form>`,
  );
}

export function unsubscribedPage(context: PageContext): string {
  const s = context.strings;
  return page(context, s.unsubscribedTitle, `<h1>${escapeHtml(s.unsubscribedTitle)}</h1>\n<p>${escapeHtml(s.unsubscribedText)}</p>`);
}

/** The same page for every bad token, whatever is wrong with it: it must not tell who is subscribed. */
export function invalidLinkPage(context: PageContext): string {
  const s = context.strings;
  return page(context, s.invalidLinkTitle, `<h1>${escapeHtml(s.invalidLinkTitle)}</h1>\n<p>${escapeHtml(s.invalidLinkText)}</p>`);
}

export function messagePage(context: PageContext, title: string, text: string): string {
  return page(context, title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>\n<p><a href="/">${escapeHtml(context.strings.backToArchive)}</a></p>`);
}

/** dist/index.html: the built issues, newest first; links are relative so any static host can serve it. */
export function archiveIndexPage(context: PageContext, entries: readonly ArchiveEntry[]): string {
  const s = context.strings;
  const items = entries.map(
    (e) => `<li><a href="./${encodeURIComponent(e.slug)}/"><strong>${escapeHtml(e.title)}</strong></a><br>
<span class="muted"><time datetime="${escapeHtml(e.date)}">${escapeHtml(formatDate(e.date, context.config.lang))}</time></span>${e.preheader ? `<br>\n${escapeHtml(e.preheader)}` : ''}</li>`,
  );
  const list = items.length > 0 ? `<ol>\n${items.join('\n')}\n</ol>` : `<p>${escapeHtml(s.archiveEmpty)}</p>`;
  const intro = s.archiveIntro ? `<p>${escapeHtml(s.archiveIntro)}</p>\n` : '';
  // Absolute: dist/index.html may be served by a static host, the form only by serve at publicUrl.
  const subscribe = s.subscribeLink && context.config.signup.enabled ? `<p><a href="${escapeHtml(subscribeUrl(context.config.publicUrl))}"><strong>${escapeHtml(s.subscribeLink)}</strong></a></p>\n` : '';
  return page(context, s.archiveTitle, `<h1>${escapeHtml(s.archiveTitle)}</h1>\n${intro}${subscribe}${list}`, { index: true });
}

function formatDate(date: string, lang: string): string {
  const instant = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(instant.getTime())) return date;
  return new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }).format(instant);
}
