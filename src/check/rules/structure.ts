import { resultFromFindings, type CheckResult, type Finding } from './result.js';
import { firstHeader, type CheckedMessage } from './checked-message.js';
import { normalizeSpace, outlineHtml } from './html-outline.js';

export interface StoryExpectations {
  /** The issue's headline (front matter `title`). */
  headline: string;
  preheader: string;
}

/** Mail apps show roughly this much of a subject line; past it the point is cut off. */
export const SUBJECT_MAX = 78;
/** Below this the inbox fills the preview with the email's first words; past it, it is cut. */
export const PREHEADER_MIN = 20;
export const PREHEADER_MAX = 150;
/** Less than this share of the HTML's words in the text part means the text lost the story. */
const TEXT_WORD_SHARE_MIN = 0.5;

const fail = (message: string): Finding => ({ status: 'fail', message });
const warn = (message: string): Finding => ({ status: 'warn', message });

const comparable = (s: string) => normalizeSpace(s).toLocaleLowerCase();
const wordCount = (s: string) => (s.match(/\p{L}[\p{L}\p{N}'’-]*/gu) ?? []).length;

/** `<https://…>` entries of a List-Unsubscribe value. */
function listUnsubscribeUrls(value: string): string[] {
  return [...value.matchAll(/<([^>]*)>/g)].map((m) => (m[1] as string).trim());
}

function checkParts(message: CheckedMessage, expect: StoryExpectations): Finding[] {
  const findings: Finding[] = [];
  if (message.contentType !== 'multipart/alternative') {
    findings.push(fail(`the message is ${message.contentType}, not multipart/alternative with a text and an HTML part`));
  }
  if (message.html.trim() === '') findings.push(fail('there is no HTML part'));
  if (message.text.trim() === '') {
    findings.push(fail('there is no text/plain part (or it is empty): mail apps that show text, and spam filters, see nothing'));
    return findings;
  }
  if (message.html.trim() === '') return findings;

  const outline = outlineHtml(message.html);
  const text = comparable(message.text);
  const missing = [expect.headline, ...outline.headings].filter((h) => !text.includes(comparable(h)));
  const unique = [...new Set(missing)];
  if (unique.length > 0) {
    findings.push(fail(`the text part lacks what the HTML shows: ${unique.map((h) => `"${h}"`).join(', ')}`));
  }
  if (!comparable(outline.visibleText).includes(comparable(expect.headline))) {
    findings.push(fail(`the headline "${expect.headline}" is not visible in the HTML`));
  }
  const htmlWords = wordCount(outline.visibleText);
  const textWords = wordCount(message.text);
  if (htmlWords > 0 && textWords < htmlWords * TEXT_WORD_SHARE_MIN) {
    findings.push(warn(`the text part has ${textWords} words, the HTML ${htmlWords}: the text part seems to miss part of the story`));
  }
  return findings;
}

function checkUnsubscribe(message: CheckedMessage): Finding[] {
  const findings: Finding[] = [];
  const listUnsubscribe = firstHeader(message, 'list-unsubscribe');
  let httpsUrl: string | undefined;
  if (listUnsubscribe === undefined) {
    findings.push(fail('no List-Unsubscribe header: Gmail and Yahoo require one-click unsubscribe for bulk mail'));
  } else {
    const urls = listUnsubscribeUrls(listUnsubscribe);
    httpsUrl = urls.find((u) => u.startsWith('https://'));
    if (!httpsUrl) findings.push(fail(`List-Unsubscribe has no https URL (${listUnsubscribe}): one-click unsubscribe needs one`));
  }
  const post = firstHeader(message, 'list-unsubscribe-post');
  if (post === undefined) findings.push(fail('no List-Unsubscribe-Post header: one-click unsubscribe needs "List-Unsubscribe-Post: List-Unsubscribe=One-Click"'));
  else if (post !== 'List-Unsubscribe=One-Click') findings.push(fail(`List-Unsubscribe-Post is "${post}", expected "List-Unsubscribe=One-Click"`));

  if (httpsUrl) {
    const url = httpsUrl;
    const inHtml = message.html.trim() !== '' && outlineHtml(message.html).links.some((l) => l.href === url && l.text !== '');
    if (!inHtml && message.html.trim() !== '') findings.push(fail(`the HTML has no visible link to the unsubscribe URL ${url}`));
    if (message.text.trim() !== '' && !message.text.includes(url)) findings.push(fail(`the text part does not show the unsubscribe URL ${url}`));
  }
  return findings;
}

function checkHeaders(message: CheckedMessage): Finding[] {
  const findings: Finding[] = [];
  for (const name of ['From', 'Date', 'Message-ID']) {
    if (firstHeader(message, name) === undefined) findings.push(fail(`no ${name} header`));
  }
  if (firstHeader(message, 'reply-to') === undefined) findings.push(warn('no Reply-To header: set sender.replyTo in the config so replies reach a person'));
  const messageId = firstHeader(message, 'message-id');
  if (messageId !== undefined && !/^<[^<>@\s]+@[^<>@\s]+>$/.test(messageId)) findings.push(fail(`Message-ID "${messageId}" is not of the form <id@domain>`));
  const date = firstHeader(message, 'date');
  if (date !== undefined && Number.isNaN(Date.parse(date))) findings.push(fail(`Date "${date}" is not a valid date`));
  return findings;
}

function checkLengths(message: CheckedMessage, expect: StoryExpectations): Finding[] {
  const findings: Finding[] = [];
  const subject = message.subject.trim();
  const length = [...subject].length;
  if (length === 0) findings.push(fail('the subject is empty'));
  else if (length > SUBJECT_MAX) findings.push(warn(`the subject has ${length} characters: inboxes cut it at about ${SUBJECT_MAX} (phones at about 40); put the point first or shorten it with front matter "subject"`));
  if (/\p{Lu}{4}/u.test(subject) && subject === subject.toLocaleUpperCase()) findings.push(warn('the subject is in capitals, which reads as shouting and as spam'));

  const preheader = normalizeSpace(expect.preheader);
  const preheaderLength = [...preheader].length;
  if (preheaderLength === 0) findings.push(warn('there is no preheader: inboxes show the first words of the email instead; set front matter "preheader"'));
  else if (preheaderLength < PREHEADER_MIN) findings.push(warn(`the preheader has ${preheaderLength} characters; ${PREHEADER_MIN}-${PREHEADER_MAX} fill the inbox preview`));
  else if (preheaderLength > PREHEADER_MAX) findings.push(warn(`the preheader has ${preheaderLength} characters; inboxes show about ${PREHEADER_MAX}`));
  return findings;
}

/** Is this a well-formed newsletter message: parts, unsubscribe, headers, subject and preheader. */
export function checkStructure(message: CheckedMessage, expect: StoryExpectations): CheckResult {
  const findings = [...checkParts(message, expect), ...checkUnsubscribe(message), ...checkHeaders(message), ...checkLengths(message, expect)];
  return resultFromFindings(
    'structure',
    'Structure',
    findings,
    'multipart/alternative with a matching text part, one-click List-Unsubscribe, visible unsubscribe links, complete headers',
  );
}
