import { resultFromFindings, type CheckResult } from './result.js';

/** Gmail shows "[Message clipped]" and hides the rest (unsubscribe link included) past 102 KB of HTML. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
/** Warn with some room left: forwarding, tracking by a relay or a longer name can add bytes. */
const WARN_SHARE = 0.85;

export function checkSize(html: string): CheckResult {
  const bytes = Buffer.byteLength(html, 'utf8');
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const findings = [];
  if (bytes > GMAIL_CLIP_BYTES) {
    findings.push({ status: 'fail' as const, message: `the HTML is ${kb(bytes)}, over Gmail's 102 KB limit: Gmail clips it and hides the footer with the unsubscribe link; shorten the issue or split it` });
  } else if (bytes > GMAIL_CLIP_BYTES * WARN_SHARE) {
    findings.push({ status: 'warn' as const, message: `the HTML is ${kb(bytes)}, close to Gmail's 102 KB clipping limit` });
  }
  const result = resultFromFindings('size', 'Size', findings, `HTML is ${kb(bytes)} (Gmail clips at 102 KB)`);
  return { ...result, metrics: { htmlBytes: bytes, clipBytes: GMAIL_CLIP_BYTES } };
}
