import { describe, expect, it } from 'vitest';
import { checkTools } from './tools.js';

const tools = checkTools();

describe('tools the check needs', () => {
  // In CI the real spam and rendering checks must run: a missing tool is a failure, not a skip.
  it.skipIf(tools.skip)(`SpamAssassin and Chromium are installed${tools.label}`, () => {
    expect(tools.missing).toEqual([]);
  });
});
