import { doIUseEmail } from 'doiuse-email';
import type { CheckResult } from '../rules/result.js';
import { compareClientSupport, type ClientSupportReport } from '../rules/client-support.js';

const CLIENTS = ['gmail.*', 'outlook.*', 'apple-mail.*'];
const CLIENT_NAMES = 'Gmail, Outlook and Apple Mail';

/**
 * MJML's own output for the standard pieces of a newsletter (title, preheader, text, button,
 * divider, image), with default attributes and the options the renderer uses (src/core/render.ts).
 * MJML ships tested fallbacks for what these use (the hidden preheader, the button's rounded
 * corners), so gaps here are not news; what the template's own CSS and the content add is.
 */
const BOILERPLATE = `<mjml><mj-head><mj-title>Title</mj-title><mj-preview>Preview</mj-preview></mj-head><mj-body>
<mj-section><mj-column>
<mj-image src="https://example.com/logo.png" alt="Logo" />
<mj-text>Hello <a href="https://example.com/">link</a></mj-text>
<mj-button href="https://example.com/">Button</mj-button>
<mj-divider />
</mj-column></mj-section></mj-body></mjml>`;
const RENDER_OPTIONS = { validationLevel: 'strict', keepComments: false, fonts: {} } as const;

let baseline: Promise<ClientSupportReport> | undefined;

function report(html: string): ClientSupportReport {
  const result = doIUseEmail(html, { emailClients: CLIENTS });
  return { errors: result.success ? [] : result.errors, warnings: result.warnings };
}

function mjmlBaseline(): Promise<ClientSupportReport> {
  baseline ??= import('mjml').then(async ({ default: mjml2html }) => report((await mjml2html(BOILERPLATE, RENDER_OPTIONS)).html));
  return baseline;
}

export async function checkClientSupport(html: string): Promise<CheckResult> {
  return compareClientSupport(report(html), await mjmlBaseline(), CLIENT_NAMES);
}
