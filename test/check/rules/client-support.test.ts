import { describe, expect, it } from 'vitest';
import { compareClientSupport } from '../../../src/check/rules/client-support.js';

const baseline = {
  errors: ['`@media` is not supported by `outlook.windows`', '`border-radius` is not supported by `outlook.windows`'],
  warnings: ['`margin` is only partially supported by `gmail.ios`'],
};

describe('client support against the MJML baseline', () => {
  it('passes when the email uses nothing beyond the baseline', () => {
    const result = compareClientSupport({ errors: [...baseline.errors, baseline.errors[0] as string], warnings: baseline.warnings }, baseline, 'Gmail');
    expect(result.status).toBe('pass');
  });

  it('warns about each added feature once, with the clients that lack it', () => {
    const report = {
      errors: [...baseline.errors, '`overflow-wrap` is not supported by `gmail.ios`', '`overflow-wrap` is not supported by `outlook.windows`', '`overflow-wrap` is not supported by `gmail.ios`'],
      warnings: ['`overflow-wrap` is only partially supported by `gmail.mobile-webmail`', '`white-space` is only partially supported by `gmail.android`'],
    };
    const result = compareClientSupport(report, baseline, 'Gmail and Outlook');
    expect(result.status).toBe('warn');
    expect(result.reason).toBe("2 features beyond MJML's boilerplate with gaps in Gmail and Outlook: overflow-wrap, white-space");
    expect(result.findings.map((f) => f.message)).toEqual([
      'overflow-wrap: not supported by gmail.ios, outlook.windows; only partly by gmail.mobile-webmail',
      'white-space: only partly by gmail.android',
    ]);
  });
});
