import { type Expression, type RawBuilder, sql } from 'kysely';

export const DAY_MS = 86_400_000;

/** A reporting window [from, to) in epoch ms, bucketed by day at the zone's UTC offset. */
export interface DayRange {
  from: number;
  to: number;
  offsetMs: number;
  account_id?: string;
}

/** The UTC offset of `timeZone` at `at`, in milliseconds (Asia/Shanghai: +8 h all year). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  return local - Math.floor(at / 1000) * 1000;
}

/** The local day number of an epoch-ms column: the same integer arithmetic on SQLite and PostgreSQL. */
export function dayOf(column: Expression<number | null>, offsetMs: number): RawBuilder<number> {
  // Literals, not parameters: SQLite would bind a JS number as a float and divide without truncating.
  if (!Number.isSafeInteger(offsetMs)) throw new RangeError(`bad offset ${offsetMs}`);
  return sql<number>`((${column} + ${sql.lit(offsetMs)}) / ${sql.lit(DAY_MS)})`;
}

/** "2026-11-25" for a local day number. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Every day in [from, to) with its count, zero where the query found none. */
export function fillDays(
  rows: Array<{ day: number; value: number }>,
  from: number,
  to: number,
  offsetMs: number,
) {
  const first = Math.floor((from + offsetMs) / DAY_MS);
  const last = Math.floor((to - 1 + offsetMs) / DAY_MS);
  const byDay = new Map(rows.map((r) => [Number(r.day), Number(r.value)]));
  const out: Array<{ day: string; value: number }> = [];
  for (let d = first; d <= last; d++) out.push({ day: dayLabel(d), value: byDay.get(d) ?? 0 });
  return out;
}
