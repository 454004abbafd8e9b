import type { BodyReferences } from './markdown.js';

export interface BuildWarning {
  code: 'html-too-large' | 'image-without-alt' | 'link-not-web' | 'no-source' | 'subject-too-long' | 'preheader-too-long';
  message: string;
}

/** Gmail cuts messages whose HTML is larger than this and hides the rest behind "View entire message". */
export const GMAIL_CLIP_BYTES = 102 * 1024;
export const SUBJECT_MAX = 90;
export const PREHEADER_MAX = 140;

export interface WarningInput {
  html: string;
  references: BodyReferences;
  source: string | undefined;
  subject: string;
  preheader: string;
}

const shorten = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** What an editor should look at before sending; none of these stops a build. */
export function collectWarnings({ html, references, source, subject, preheader }: WarningInput): BuildWarning[] {
  const warnings: BuildWarning[] = [];
  const bytes = new TextEncoder().encode(html).length;
  if (bytes > GMAIL_CLIP_BYTES) {
    warnings.push({ code: 'html-too-large', message: `the HTML is ${Math.round(bytes / 1024)} KB; Gmail clips messages over 102 KB (shorten the issue or use fewer tables)` });
  }
  for (const image of references.images) {
    if (!image.alt?.trim()) warnings.push({ code: 'image-without-alt', message: `image ${shorten(image.src || '(no src)')} has no alt text: write ![what it shows](${shorten(image.src)})` });
  }
  for (const href of references.links) {
    if (!/^(https?:\/\/|mailto:)/i.test(href.trim())) {
      const removed = /^\s*[a-z][a-z0-9+.-]*:/i.test(href) ? ' (removed from the email)' : ' (readers cannot open it from an email)';
      warnings.push({ code: 'link-not-web', message: `link "${shorten(href)}" is not an http(s) or mailto link${removed}` });
    }
  }
  if (!source) warnings.push({ code: 'no-source', message: 'no source: the "Lihat Asli" button is left out (add source: https://... to the front matter)' });
  if (subject.length > SUBJECT_MAX) warnings.push({ code: 'subject-too-long', message: `subject is ${subject.length} characters; inboxes cut it after about ${SUBJECT_MAX}` });
  if (preheader.length > PREHEADER_MAX) warnings.push({ code: 'preheader-too-long', message: `preheader is ${preheader.length} characters; inboxes show about ${PREHEADER_MAX}` });
  return warnings;
}
