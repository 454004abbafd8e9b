import { FintechWeeklyError } from '../errors.js';

// A CR or LF in a header value would let editor input start a new header (header injection);
// NUL breaks SMTP servers outright.
const UNSAFE = /[\r\n\0]/;

/** Throws unless `value` is safe to put into a mail header. `where` names the field for the editor. */
export function assertHeaderSafe(value: string, where: string, file?: string): string {
  if (UNSAFE.test(value)) {
    throw new FintechWeeklyError(`${where} contains a line break or NUL character, which is not allowed in an email header`, {
      file,
      hint: 'Put the value on one line.',
    });
  }
  return value;
}
