import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from './csv.ts';

const cell = (value: string) => parseCsv(toCsv([[value]]).slice(1))[0]?.[0];

describe('CSV export cannot smuggle a spreadsheet formula', () => {
  it.each([
    '=HYPERLINK("http://evil","点我")',
    '+1+cmd|/c calc!A1',
    '-2+3',
    '@SUM(A1)',
    '\t=1+1',
    '\r=1+1',
    '\n=1+1',
    '＝1+1',
    '＋1',
    '－1',
    '＠SUM(A1)',
  ])('keeps %j as text', (value) => {
    expect(cell(value)).toBe(`'${value}`);
  });

  it('leaves ordinary text and numbers alone', () => {
    expect(cell('连衣裙, 法式')).toBe('连衣裙, 法式');
    expect(toCsv([[-5, 'a=b']])).toBe('\ufeff-5,a=b\r\n');
  });
});
