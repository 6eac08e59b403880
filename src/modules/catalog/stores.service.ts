import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { StoresTable } from './catalog.schema.ts';
import { distanceMetres, isOpen, latitudeSpan, longitudeSpan, minutesOfDay } from './geo.ts';

export type StoreView = Omit<StoresTable, 'merchant_id'>;
export interface StoreInput {
  name: string;
  address: string;
  city: string;
  latitude: number;
  longitude: number;
  phone?: string;
  opens_at?: string;
  closes_at?: string;
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const NOT_FOUND = { zh: '门店', en: 'Store' };

function validate(input: Partial<StoreInput>): void {
  if (input.latitude !== undefined && (input.latitude < -90 || input.latitude > 90))
    throw badRequest('invalid_location', '纬度必须在 -90 到 90 之间', 'Latitude must be within ±90');
  if (input.longitude !== undefined && (input.longitude < -180 || input.longitude > 180))
    throw badRequest('invalid_location', '经度必须在 -180 到 180 之间', 'Longitude must be within ±180');
  for (const hours of [input.opens_at, input.closes_at]) {
    if (hours !== undefined && !HHMM.test(hours))
      throw badRequest('invalid_hours', '营业时间格式为 HH:MM', 'Hours must be HH:MM');
  }
}

export async function createStore(ctx: Ctx, input: StoreInput): Promise<StoreView> {
  requireRole(ctx, 'operator');
  validate(input);
  const row: StoresTable = {
    id: newId('sto', ctx.now),
    merchant_id: ctx.merchantId,
    name: input.name,
    address: input.address,
    city: input.city.replace(/市$/, ''),
    latitude: input.latitude,
    longitude: input.longitude,
    phone: input.phone ?? '',
    opens_at: input.opens_at ?? '09:00',
    closes_at: input.closes_at ?? '21:00',
    created_at: ctx.now,
  };
  await ctx.db.insertInto('stores').values(row).execute();
  const { merchant_id: _m, ...view } = row;
  return view;
}

export async function getStore(ctx: Ctx, id: string): Promise<StoreView> {
  const row = await ctx.db
    .selectFrom('stores')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(NOT_FOUND);
  const { merchant_id: _m, ...view } = row;
  return view;
}

export async function updateStore(ctx: Ctx, id: string, patch: Partial<StoreInput>): Promise<StoreView> {
  requireRole(ctx, 'operator');
  validate(patch);
  await getStore(ctx, id);
  await ctx.db
    .updateTable('stores')
    .set({ ...patch, ...(patch.city ? { city: patch.city.replace(/市$/, '') } : {}) })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return getStore(ctx, id);
}

export async function deleteStore(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const result = await ctx.db
    .deleteFrom('stores')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw notFound(NOT_FOUND);
}

export async function listStores(ctx: Ctx, filter: { city?: string; limit: number; cursor?: string }) {
  let query = ctx.db.selectFrom('stores').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.city) query = query.where('city', '=', filter.city.replace(/市$/, ''));
  if (filter.cursor) query = query.where('id', '>', filter.cursor);
  const rows = await query
    .orderBy('id')
    .limit(filter.limit + 1)
    .execute();
  const items = rows.slice(0, filter.limit).map(({ merchant_id: _m, ...view }) => view);
  return { items, next_cursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

export interface NearbyStore extends StoreView {
  distance_m: number;
  open_now: boolean;
}

// Search rings: most fans are near a store; widen only when nothing is found.
const RINGS_M = [3_000, 15_000, 80_000, 500_000, 20_000_000];

/**
 * The `limit` nearest stores to a point, open ones first, with distance in metres. A latitude
 * band on the index narrows thousands of stores to a few before the exact distance is computed.
 */
export async function nearestStores(
  ctx: Pick<Ctx, 'db' | 'merchantId' | 'now'>,
  point: { latitude: number; longitude: number },
  options: { limit?: number; openOnly?: boolean; timeZone?: string } = {},
): Promise<NearbyStore[]> {
  const limit = options.limit ?? 5;
  const timeZone = options.timeZone ?? 'Asia/Shanghai';
  const minute = minutesOfDay(ctx.now, timeZone);
  for (const ring of RINGS_M) {
    const span = latitudeSpan(ring);
    const lngSpan = longitudeSpan(ring, point.latitude);
    let query = ctx.db
      .selectFrom('stores')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('latitude', '>=', point.latitude - span)
      .where('latitude', '<=', point.latitude + span);
    // A box that would cross the antimeridian is left open in longitude; distance filters after.
    if (lngSpan < 180 && Math.abs(point.longitude) + lngSpan < 180) {
      query = query
        .where('longitude', '>=', point.longitude - lngSpan)
        .where('longitude', '<=', point.longitude + lngSpan);
    }
    const rows = await query.execute();
    const found = rows
      .map(({ merchant_id: _m, ...store }) => ({
        ...store,
        distance_m: Math.round(
          distanceMetres(point.latitude, point.longitude, store.latitude, store.longitude),
        ),
        open_now: isOpen(store.opens_at, store.closes_at, minute),
      }))
      .filter((s) => s.distance_m <= ring && (!options.openOnly || s.open_now))
      .sort((a, b) => Number(b.open_now) - Number(a.open_now) || a.distance_m - b.distance_m);
    // Widen until enough stores are open: a closed store next door is no answer at lunchtime.
    const open = found.filter((store) => store.open_now).length;
    if (open >= limit || ring === RINGS_M.at(-1)) return found.slice(0, limit);
  }
  return [];
}
