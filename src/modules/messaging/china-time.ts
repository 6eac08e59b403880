/** WeChat counts its daily allowances on China's calendar (UTC+8, no daylight saving). */
const CHINA_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

export const chinaDay = (ms: number) => new Date(ms + CHINA_OFFSET_MS).toISOString().slice(0, 10);

export const nextChinaMidnight = (ms: number) =>
  (Math.floor((ms + CHINA_OFFSET_MS) / DAY_MS) + 1) * DAY_MS - CHINA_OFFSET_MS;

/** The next `hour`:00 China time strictly after `now`. */
export function nextChinaHour(now: number, hour: number): number {
  const at = Math.floor((now + CHINA_OFFSET_MS) / DAY_MS) * DAY_MS + hour * 3_600_000 - CHINA_OFFSET_MS;
  return at > now ? at : at + DAY_MS;
}
