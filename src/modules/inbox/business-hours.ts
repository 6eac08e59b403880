import { zoneOffsetMs } from '../../platform/db/day-buckets.ts';

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

const DAY = 86_400_000;
const HOUR = 3_600_000;

/** A zone's UTC offset at an instant, in ms. */
export type ZoneOffset = (at: number) => number;

/**
 * The merchant's zone as an offset function, asked once per hour of time it is asked about (zones
 * change offset on the hour): a list of 500 conversations does not build 500 date formatters.
 * Lives as long as the request that made it.
 */
export function zoneOffsets(timeZone: string): ZoneOffset {
  const byHour = new Map<number, number>();
  return (at) => {
    const hour = Math.floor(at / HOUR);
    let offset = byHour.get(hour);
    if (offset === undefined) {
      offset = zoneOffsetMs(timeZone, hour * HOUR);
      byHour.set(hour, offset);
    }
    return offset;
  };
}
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

/**
 * Milliseconds between `from` and `to` that fall inside business hours (all of them when null),
 * the hours read on the merchant's own clock (`offsetAt`, from `zoneOffsets`).
 */
export function businessMs(
  from: number,
  to: number,
  hours: BusinessHours | null,
  offsetAt: ZoneOffset,
): number {
  if (to <= from) return 0;
  if (!hours) return to - from;
  const open = minutes(hours.start) * 60_000;
  const close = minutes(hours.end) * 60_000;
  const start = Math.max(from, to - MAX_SPAN_DAYS * DAY);
  let total = 0;
  // Walk local days (numbered from the epoch) from the one holding `start` to the one holding
  // `to`. A day's hours use its offset at noon: a daylight-saving change happens at night.
  const last = Math.floor((to + offsetAt(to)) / DAY);
  for (let day = Math.floor((start + offsetAt(start)) / DAY); day <= last; day++) {
    const weekday = ((new Date(day * DAY).getUTCDay() + 6) % 7) + 1;
    if (!hours.days.includes(weekday)) continue;
    const midnight = day * DAY - offsetAt(day * DAY + DAY / 2);
    const a = Math.max(start, midnight + open);
    const b = Math.min(to, midnight + close);
    if (b > a) total += b - a;
  }
  return total;
}
