import { Liquid } from 'liquidjs';
import type { Settings } from '../config/load.js';
import { escapeHtml } from '../core/escape-html.js';
import { FintechWeeklyError } from '../core/errors.js';
import { htmlToPlainText } from '../core/issue/plain-text.js';
import { CONFIRM_TOKEN_MARKER, confirmUrl } from '../core/message/confirm-token.js';
import type { SignupStrings } from '../serve/signup-strings.js';
import { mjmlCompiler } from './mjml-compiler.js';
import { readTemplate } from './template-files.js';

/**
 * The confirmation email of a sign-up, rendered once when `serve` starts through the same template
 * machinery as an issue (Liquid, the template's partials, MJML with strict validation), so it
 * looks like the newsletter. The reader's token is not rendered: CONFIRM_TOKEN_MARKER stands where
 * it goes, and each email only swaps it in. Nothing the form's visitor typed (the name) is in it:
 * a stranger's sign-up must not be a way to mail a message of their own to someone.
 */
export interface ConfirmationEmail {
  subject: string;
  /** Both contain CONFIRM_TOKEN_MARKER wherever the confirmation token goes. */
  html: string;
  text: string;
}

export const CONFIRM_TEMPLATE = 'confirm.mjml';

export async function buildConfirmationEmail(settings: Settings, strings: SignupStrings): Promise<ConfirmationEmail> {
  const { config } = settings;
  const configured = readTemplate(settings).source;
  // A template copied before sign-up existed has no confirm.mjml: the default template's is used.
  const source = configured.files.has(CONFIRM_TEMPLATE) ? configured : readTemplate({ ...settings, config: { ...config, template: 'default' } }).source;
  const file = `${source.dir}/${CONFIRM_TEMPLATE}`;
  const entry = source.files.get(CONFIRM_TEMPLATE);
  if (entry === undefined) {
    throw new FintechWeeklyError(`${file}: missing: the sign-up form needs a confirmation email template`, {
      file,
      hint: 'Copy templates/default/confirm.mjml from the fintechweekly repository, or turn the form off with signup.enabled: false in the config.',
    });
  }
  const publicUrl = config.publicUrl.replace(/\/+$/, '');
  const link = confirmUrl(publicUrl, CONFIRM_TOKEN_MARKER);
  const expiryNote = strings.emailExpiry.replaceAll('{hours}', String(config.signup.confirmHours));
  const liquid = new Liquid({ templates: Object.fromEntries(source.files), outputEscape: 'escape', strictFilters: true });
  let mjml: string;
  try {
    mjml = (await liquid.parseAndRender(entry, {
      lang: config.lang,
      subject: strings.emailSubject,
      brand: config.brand,
      sender: config.sender,
      publicUrl,
      strings,
      confirmUrl: link,
      expiryNote,
    })) as string;
  } catch (error) {
    throw new FintechWeeklyError(`${file}: template error: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { file, cause: error, hint: 'Fix the Liquid tag named above in the template.' });
  }
  let html: string;
  try {
    ({ html } = await mjmlCompiler()(mjml, { validationLevel: 'strict', keepComments: false, fonts: {} }));
  } catch (error) {
    const details = (error as { errors?: { line?: number; message?: string }[] }).errors;
    const lines = Array.isArray(details) && details.length > 0 ? details.map((d) => `${file} (line ${d.line ?? '?'}): MJML: ${d.message ?? 'invalid'}`) : [`${file}: MJML error: ${(error as Error).message}`];
    throw new FintechWeeklyError(lines.join('\n'), { file, cause: error, hint: 'Fix the template (see https://documentation.mjml.io for each tag and its attributes).' });
  }
  if (!html.includes(CONFIRM_TOKEN_MARKER)) {
    throw new FintechWeeklyError(`${file}: the email has no confirmation link`, { file, hint: 'Link the button to {{ confirmUrl }}.' });
  }
  const paragraph = (text: string) => htmlToPlainText(`<p>${escapeHtml(text)}</p>`);
  const text = [
    paragraph(config.brand.tagline),
    `${strings.emailHeading}\n${'='.repeat(Math.min(strings.emailHeading.length, 78))}`,
    paragraph(strings.emailIntro),
    `${strings.emailButton}: <${link}>`,
    paragraph(expiryNote),
    paragraph(strings.emailIgnore),
    ['--', config.brand.name, paragraph(config.sender.postalAddress)].join('\n'),
  ].join('\n\n');
  return { subject: strings.emailSubject, html, text: `${text}\n` };
}
