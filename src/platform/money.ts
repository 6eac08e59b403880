/** Money is always an integer number of fen (分). These helpers are the only way in or out. */
export type Fen = number;

const YUAN_PATTERN = /^(-?)(\d{1,12})(?:\.(\d{1,2}))?$/;

/** Parses "12.3" or "12.34" yuan into fen without floating point. */
export function yuanToFen(yuan: string): Fen {
  const match = YUAN_PATTERN.exec(yuan.trim());
  if (!match) throw new RangeError(`not a yuan amount: ${yuan}`);
  const [, sign, whole, fraction = ''] = match;
  const fen = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return sign === '-' ? -fen : fen;
}

/** 1234 → "12.34" */
export function fenToYuan(fen: Fen): string {
  assertFen(fen);
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** 1234 → "¥12.34" */
export function formatFen(fen: Fen): string {
  return `¥${fenToYuan(fen)}`;
}

export function assertFen(value: number): asserts value is Fen {
  if (!Number.isSafeInteger(value)) throw new RangeError(`money must be integer fen: ${value}`);
}

export function sumFen(values: readonly Fen[]): Fen {
  let total = 0;
  for (const v of values) {
    assertFen(v);
    total += v;
  }
  assertFen(total);
  return total;
}

/** Applies a percentage (e.g. 80 for 8折) rounding half up to the fen. */
export function percentOf(fen: Fen, percent: number): Fen {
  assertFen(fen);
  if (!Number.isInteger(percent) || percent < 0 || percent > 100)
    throw new RangeError(`bad percent: ${percent}`);
  return Math.floor((fen * percent + 50) / 100);
}
