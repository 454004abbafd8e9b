import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { judgeSpamReport, parseSpamAssassinReport } from '../../../src/check/rules/spam-report.js';

const fixture = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/check/spamassassin-report.txt'), 'utf8');

describe('SpamAssassin report', () => {
  it('reads the score and every fired rule from `spamassassin -t` output', () => {
    const report = parseSpamAssassinReport(fixture);
    expect(report?.score).toBe(5.3);
    expect(report?.rules.map((r) => r.name)).toEqual(['NO_RECEIVED', 'SUBJ_ALL_CAPS', 'NO_RELAYS', 'GUARANTEED_100_PERCENT', 'MIME_HTML_ONLY', 'HTML_MESSAGE', 'TO_NO_BRKTS_HTML_ONLY', 'SHORT_SHORTNER']);
    expect(report?.rules[3]).toEqual({ name: 'GUARANTEED_100_PERCENT', points: 2.7, description: 'BODY: One hundred percent guaranteed' });
  });

  it('joins descriptions that wrap onto the next line and reads only the first report', () => {
    const output = [
      'Content analysis details:   (3.1 points, 5.0 required)',
      '',
      ' pts rule name              description',
      '---- ---------------------- --------------------------------------------------',
      ' 3.1 SOME_LONG_RULE         A description that is long enough to wrap onto',
      '                            the next line',
      '',
      'Content analysis details:   (9.9 points, 5.0 required)',
    ].join('\n');
    expect(parseSpamAssassinReport(output)).toEqual({ score: 3.1, rules: [{ name: 'SOME_LONG_RULE', points: 3.1, description: 'A description that is long enough to wrap onto the next line' }] });
  });

  it('returns nothing for output without a report', () => {
    expect(parseSpamAssassinReport('From: a@example.com\n\nhello')).toBeUndefined();
  });

  it('fails above the threshold, naming the rules that added points', () => {
    const report = parseSpamAssassinReport(fixture);
    if (!report) throw new Error('no report');
    const failed = judgeSpamReport(report, 2.0);
    expect(failed.status).toBe('fail');
    expect(failed.reason).toBe('score 5.3 is above the threshold 2.0: GUARANTEED_100_PERCENT 2.7, TO_NO_BRKTS_HTML_ONLY 1.0, SHORT_SHORTNER 1.0, SUBJ_ALL_CAPS 0.5, MIME_HTML_ONLY 0.1');
    expect(failed.metrics).toEqual({ score: 5.3, threshold: 2 });
    expect(judgeSpamReport(report, 6).status).toBe('pass');
    expect(judgeSpamReport(report, 5.3).status).toBe('pass');
  });
});
