/**
 * A merchant's opening hours for customer service: the SLA clock runs only inside them, so a fan
 * who writes at 23:00 to a shop that opens at 09:00 is not "waiting" overnight.
 */
export interface BusinessHours {
  /** ISO weekdays the service is staffed: 1 = Monday … 7 = Sunday. */
  days: number[];
  /** "HH:MM" in the merchant's zone; end after start. */
  start: string;
  end: string;
}

/** Merchants' zone (Asia/Shanghai, no daylight saving). */
const ZONE_OFFSET_MS = 8 * 3_600_000;
const DAY = 86_400_000;
/** Waits longer than this are counted only this far back (a forgotten chat, not a figure). */
const MAX_SPAN_DAYS = 62;

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

export function validHours(hours: BusinessHours): boolean {
  const clock = /^([01]\d|2[0-3]):[0-5]\d$/;
  return (
    Array.isArray(hours.days) &&
    hours.days.length > 0 &&
    hours.days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7) &&
    new Set(hours.days).size === hours.days.length &&
    clock.test(hours.start) &&
    (clock.test(hours.end) || hours.end === '24:00') &&
    minutes(hours.end) > minutes(hours.start)
  );
}

/** Milliseconds between `from` and `to` that fall inside business hours (all of them when null). */
export function businessMs(from: number, to: number, hours: BusinessHours | null): number {
  if (to <= from) return 0;
  if (!hours) return to - from;
  const open = minutes(hours.start) * 60_000;
  const close = minutes(hours.end) * 60_000;
  const start = Math.max(from, to - MAX_SPAN_DAYS * DAY);
  let total = 0;
  // Walk local days from the one holding `start` to the one holding `to`.
  let dayStart = Math.floor((start + ZONE_OFFSET_MS) / DAY) * DAY - ZONE_OFFSET_MS;
  for (; dayStart < to; dayStart += DAY) {
    const weekday = ((new Date(dayStart + ZONE_OFFSET_MS).getUTCDay() + 6) % 7) + 1;
    if (!hours.days.includes(weekday)) continue;
    const a = Math.max(start, dayStart + open);
    const b = Math.min(to, dayStart + close);
    if (b > a) total += b - a;
  }
  return total;
}
