import { describe, expect, it } from 'vitest';
import { csvCell } from '../../web/admin/src/csv-cell.ts';

describe("the console's CSV cells (follower analytics, send reports)", () => {
  it('defuses text a spreadsheet would run as a formula, the full-width and whitespace-led forms too', () => {
    for (const name of [
      '=HYPERLINK("http://x","y")',
      '+1',
      '-1+2',
      '@SUM(A1)',
      '\t=1',
      '\r=1',
      '＝1',
      '＠x',
    ]) {
      const cell = csvCell(name);
      // Whatever quoting follows, the field's text starts with the apostrophe.
      expect(cell.replace(/^"/, '').startsWith("'"), JSON.stringify(name)).toBe(true);
    }
    expect(csvCell('门店海报, 一楼')).toBe('"门店海报, 一楼"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('a\rb')).toBe('"a\rb"');
  });

  it('leaves numbers as numbers: a negative net stays -3', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(csvCell(-0.125)).toBe('-0.125');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(null)).toBe('');
    expect(csvCell('')).toBe('');
  });
});
