import { z } from 'zod';
import type { Settings } from '../config/load.js';
import type { Lang } from '../config/schema.js';
import { FintechWeeklyError } from '../core/errors.js';
import { loadTemplateStrings } from './strings.js';

/**
 * The words of the sign-up form, its pages and the confirmation email, one file per language:
 * templates/<name>/signup.<lang>.json. `promise` is what the form promises the reader; every
 * consent record keeps the text that was shown.
 */
export const signupStringsSchema = z
  .object({
    formTitle: z.string().min(1),
    formIntro: z.string(),
    promise: z.string().min(1),
    emailLabel: z.string().min(1),
    nameLabel: z.string().min(1),
    honeypotLabel: z.string().min(1),
    submitButton: z.string().min(1),
    formNote: z.string(),
    invalidEmail: z.string().min(1),
    invalidName: z.string().min(1),
    checkInboxTitle: z.string().min(1),
    checkInboxText: z.string().min(1),
    checkInboxNote: z.string(),
    confirmTitle: z.string().min(1),
    confirmQuestion: z.string().min(1),
    confirmButton: z.string().min(1),
    confirmedTitle: z.string().min(1),
    confirmedText: z.string().min(1),
    linkInvalidTitle: z.string().min(1),
    linkInvalidText: z.string().min(1),
    linkExpiredTitle: z.string().min(1),
    linkExpiredText: z.string().min(1),
    linkUsedTitle: z.string().min(1),
    linkUsedText: z.string().min(1),
    signUpAgain: z.string().min(1),
    emailSubject: z.string().min(1).refine((s) => !/[\r\n\0]/.test(s), 'must be on one line'),
    emailPreheader: z.string(),
    emailHeading: z.string().min(1),
    emailIntro: z.string().min(1),
    emailButton: z.string().min(1),
    emailExpiry: z.string().min(1),
    emailLinkNote: z.string().min(1),
    emailIgnore: z.string().min(1),
  })
  .strict();

export type SignupStrings = z.infer<typeof signupStringsSchema>;

/** The configured template's signup.<lang>.json, else the default template's; errors name the file and key. */
export function loadSignupStrings(settings: Settings, lang: Lang): SignupStrings {
  return loadTemplateStrings(settings, `signup.${lang}.json`, signupStringsSchema, (missing) =>
    new FintechWeeklyError(`${missing}: missing: no sign-up strings for lang "${lang}"`, {
      hint: `Copy templates/default/signup.${lang}.json from the fintechweekly repository into your template, or turn the form off with signup.enabled: false in the config.`,
    }),
  );
}
