/**
 * Per-recipient values are not rendered: the issue is compiled once with these markers in place,
 * and composing a message only swaps them for the recipient's values. The markers are plain
 * letters and digits so that HTML escaping, MJML, html-to-text and quoted-printable all leave them
 * intact, and so that they can never occur in an editor's text by accident.
 */
export const UNSUBSCRIBE_TOKEN_MARKER = 'FWX0UNSUBSCRIBE0TOKEN0XWF';

/** What `build` shows in place of a token: the link is visibly a preview and unsubscribes nobody. */
export const PREVIEW_TOKEN = 'preview';

export function unsubscribePath(token: string): string {
  return `/u/${token}`;
}

export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${unsubscribePath(token)}`;
}

/** The sign-up form of `serve`: the footer's "subscribe" link and the archive lead there. */
export const SUBSCRIBE_PATH = '/subscribe';

export function subscribeUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${SUBSCRIBE_PATH}`;
}
