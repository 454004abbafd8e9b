import { escapeHtml } from '../core/escape-html.js';
import { SUBSCRIBE_PATH, subscribeUrl } from '../core/message/placeholders.js';
import { page, type PageContext } from './pages.js';
import type { SignupStrings } from './signup-strings.js';

/**
 * The sign-up form and the pages around it, in the archive's frame. No scripts: a plain form that
 * works in any browser, at 375 px as at 1200.
 */
export interface SignupPageContext extends PageContext {
  signup: SignupStrings;
}

/** The form's field names; the website snippet in docs/signup.md uses the same. */
export const FIELDS = { email: 'email', name: 'name', honeypot: 'website', source: 'source', confirm: 'confirm' } as const;

function style({ config }: PageContext): string {
  const c = config.brand.colors;
  return `form{margin:16px 0 0}
label{display:block;font-weight:700;margin:16px 0 6px}
input[type=email],input[type=text]{box-sizing:border-box;width:100%;padding:12px;font:inherit;color:${c.text};background:#fff;border:1px solid ${c.muted};border-radius:4px}
input:focus,button:focus{outline:2px solid ${c.primary};outline-offset:2px}
.fw-hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
.promise{margin:20px 0 16px}
.error{color:#b42318;font-weight:700}
.address{font-weight:700;overflow-wrap:anywhere}
@media (max-width:480px){button{width:100%}}
`;
}

export interface FormState {
  email?: string;
  name?: string;
  error?: string;
}

/** GET /subscribe, and the same form again with a message when a field was wrong. */
export function signupFormPage(context: SignupPageContext, state: FormState = {}): string {
  const t = context.signup;
  const error = state.error ? `<p class="error" role="alert">${escapeHtml(state.error)}</p>\n` : '';
  const intro = t.formIntro ? `<p>${escapeHtml(t.formIntro)}</p>\n` : '';
  const note = t.formNote ? `<p class="muted">${escapeHtml(t.formNote)}</p>\n` : '';
  // No action attribute: the form posts to the URL it was loaded from, wherever a proxy mounts it.
  // The honeypot is off-screen rather than type=hidden: bots skip hidden inputs but fill text ones.
  return page(
    context,
    t.formTitle,
    `<h1>${escapeHtml(t.formTitle)}</h1>
${intro}${error}<form method="post" accept-charset="utf-8">
<label for="fw-email">${escapeHtml(t.emailLabel)}</label>
<input id="fw-email" type="email" name="${FIELDS.email}" required maxlength="254" autocomplete="email" inputmode="email" value="${escapeHtml(state.email ?? '')}">
<label for="fw-name">${escapeHtml(t.nameLabel)}</label>
<input id="fw-name" type="text" name="${FIELDS.name}" maxlength="100" autocomplete="name" value="${escapeHtml(state.name ?? '')}">
<div class="fw-hp" aria-hidden="true"><label for="fw-website">${escapeHtml(t.honeypotLabel)}</label><input id="fw-website" type="text" name="${FIELDS.honeypot}" tabindex="-1" autocomplete="off"></div>
<input type="hidden" name="${FIELDS.source}" value="${escapeHtml(subscribeUrl(context.config.publicUrl))}">
<p class="promise">${escapeHtml(t.promise)}</p>
<button type="submit">${escapeHtml(t.submitButton)}</button>
</form>
${note}<p><a href="/">${escapeHtml(context.strings.backToArchive)}</a></p>`,
    { style: style(context) },
  );
}

/** POST /subscribe's one answer, whoever the address belongs to: built once, the same bytes every time. */
export function checkInboxPage(context: SignupPageContext): string {
  const t = context.signup;
  const note = t.checkInboxNote ? `<p class="muted">${escapeHtml(t.checkInboxNote)}</p>\n` : '';
  return page(context, t.checkInboxTitle, `<h1>${escapeHtml(t.checkInboxTitle)}</h1>\n<p>${escapeHtml(t.checkInboxText)}</p>\n${note}<p><a href="/">${escapeHtml(context.strings.backToArchive)}</a></p>`);
}

/** GET /confirm/TOKEN: names the address and asks; only the button's POST confirms (link scanners fetch every link). */
export function confirmQuestionPage(context: SignupPageContext, email: string): string {
  const t = context.signup;
  return page(
    context,
    t.confirmTitle,
    `<h1>${escapeHtml(t.confirmTitle)}</h1>
<p>${escapeHtml(t.confirmQuestion)}</p>
<p class="address">${escapeHtml(email)}</p>
<form method="post">
<input type="hidden" name="${FIELDS.confirm}" value="yes">
<button type="submit">${escapeHtml(t.confirmButton)}</button>
</form>`,
    { style: style(context) },
  );
}

export function confirmedPage(context: SignupPageContext): string {
  const t = context.signup;
  return page(context, t.confirmedTitle, `<h1>${escapeHtml(t.confirmedTitle)}</h1>\n<p>${escapeHtml(t.confirmedText)}</p>\n<p><a href="/">${escapeHtml(context.strings.backToArchive)}</a></p>`);
}

export type LinkProblem = 'invalid' | 'expired' | 'used';

/** A confirmation link that cannot confirm: what is wrong with it and what to do. */
export function confirmLinkProblemPage(context: SignupPageContext, problem: LinkProblem): string {
  const t = context.signup;
  const [title, text] =
    problem === 'expired' ? [t.linkExpiredTitle, t.linkExpiredText] : problem === 'used' ? [t.linkUsedTitle, t.linkUsedText] : [t.linkInvalidTitle, t.linkInvalidText];
  const next = problem === 'used' ? `<a href="/">${escapeHtml(context.strings.backToArchive)}</a>` : `<a href="${SUBSCRIBE_PATH}">${escapeHtml(t.signUpAgain)}</a>`;
  return page(context, title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(text)}</p>\n<p>${next}</p>`);
}
