const EARTH_RADIUS_M = 6_371_008.8;
const rad = (deg: number) => (deg * Math.PI) / 180;

/** Great-circle distance in metres (haversine): within a fraction of a percent across a city or a country. */
export function distanceMetres(lat1: number, lng1: number, lat2: number, lng2: number): number {
  const dLat = rad(lat2 - lat1);
  const dLng = rad(lng2 - lng1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** Degrees of latitude spanning `metres`: a cheap pre-filter before the exact distance. */
export function latitudeSpan(metres: number): number {
  return metres / 111_320;
}

/** Degrees of longitude spanning `metres` at `latitude` (wider towards the poles); 360 when it wraps. */
export function longitudeSpan(metres: number, latitude: number): number {
  const cos = Math.cos((Math.min(Math.abs(latitude) + latitudeSpan(metres), 89.9) * Math.PI) / 180);
  const span = metres / (111_320 * cos);
  return span >= 180 ? 360 : span;
}

/** Minutes since midnight of `ms` in `timeZone`. */
export function minutesOfDay(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(ms);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

const toMinutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
};

/** Whether a store with these hours is open at `minute` of the day; hours may run past midnight. */
export function isOpen(opensAt: string, closesAt: string, minute: number): boolean {
  const open = toMinutes(opensAt);
  const close = toMinutes(closesAt);
  if (open === close) return true; // 24 hours
  return open < close ? minute >= open && minute < close : minute >= open || minute < close;
}
