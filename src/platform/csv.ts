/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes; a UTF-8 BOM is skipped. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < input.length; i++) {
    const char = input[i];
    if (quoted) {
      if (char === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && input[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

// Spreadsheets run a cell as a formula when it starts with = + - @ (Excel in CJK locales also
// with their full-width forms ＝ ＋ － ＠), and some strip a leading TAB, CR or LF first, so
// "\t=cmd|…" is a formula too. OWASP's advice: prefix such a cell with ' so it stays text.
const FORMULA_START = /^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;

function escapeField(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** Writes rows as CSV with a BOM, so Excel opens Chinese text correctly. */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return `\ufeff${rows.map((r) => r.map((v) => (typeof v === 'number' ? String(v) : escapeField(v ?? ''))).join(',')).join('\r\n')}\r\n`;
}
