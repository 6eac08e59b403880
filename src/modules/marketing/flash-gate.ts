import type { Ctx } from '../../context.ts';
import { type Cache, type CacheScript, memoryCache, type ScriptStore } from '../../platform/cache/cache.ts';

/** The gate's answers, as the scripts return them (small integers travel well through Lua). */
export const GATE = {
  got: 0,
  soldOut: 1,
  already: 2,
  notReserved: 3,
  notOpen: 4,
  closed: 5,
  unloaded: -1,
} as const;
export type GateAnswer = (typeof GATE)[keyof typeof GATE];

export interface GateSale {
  id: string;
  opens_at: number;
  closes_at: number;
  per_buyer_limit: number;
  requires_reservation: number;
}

// One hash tag per sale ({id}) keeps a sale's keys in one Redis Cluster slot.
const keys = (saleId: string, openid = '') => ({
  meta: `fs:{${saleId}}:meta`,
  generation: `fs:{${saleId}}:gen`,
  left: `fs:{${saleId}}:left`,
  attempts: `fs:{${saleId}}:attempts`,
  buyer: `fs:{${saleId}}:b:${openid}`,
  reserved: `fs:{${saleId}}:r:${openid}`,
});

/**
 * The buy attempt: open? reserved? under the buyer's limit? a unit left? — then take it, all in
 * one atomic step, with no database. KEYS: meta, left, buyer, reserved, attempts. ARGV: now.
 * A buyer's count is "generation:count": counts written before the last rebuild from the
 * database belong to an older generation and count as zero (the rebuild set the true ones).
 */
const TAKE: CacheScript<number> = {
  lua: `local meta = redis.call('GET', KEYS[1])
if not meta then return -1 end
redis.call('INCR', KEYS[5])
local opens, closes, limit, requires, gen = string.match(meta, '^(%d+)|(%d+)|(%d+)|(%d+)|(%d+)$')
local now = tonumber(ARGV[1])
if now < tonumber(opens) then return 4 end
if now >= tonumber(closes) then return 5 end
if requires == '1' and not redis.call('GET', KEYS[4]) then return 3 end
local mine = 0
local held = redis.call('GET', KEYS[3])
if held then
  local g, n = string.match(held, '^(%d+):(%d+)$')
  if g == gen then mine = tonumber(n) end
end
if mine >= tonumber(limit) then return 2 end
if tonumber(redis.call('GET', KEYS[2]) or '0') <= 0 then return 1 end
redis.call('DECR', KEYS[2])
redis.call('SET', KEYS[3], gen .. ':' .. (mine + 1))
return 0`,
  local(
    store: ScriptStore,
    [meta, left, buyer, reserved, attempts]: readonly string[],
    [now]: readonly string[],
  ) {
    const m = store.get(meta!);
    if (m === null) return GATE.unloaded;
    store.incrBy(attempts!, 1);
    const [opens, closes, limit, requires, gen] = m.split('|').map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const at = Number(now);
    if (at < opens) return GATE.notOpen;
    if (at >= closes) return GATE.closed;
    if (requires === 1 && store.get(reserved!) === null) return GATE.notReserved;
    const mine = heldBy(store.get(buyer!), gen);
    if (mine >= limit) return GATE.already;
    if (Number(store.get(left!) ?? 0) <= 0) return GATE.soldOut;
    store.incrBy(left!, -1);
    store.set(buyer!, `${gen}:${mine + 1}`);
    return GATE.got;
  },
};

/** A buyer's count in this generation ("generation:count"), zero for an older one. */
function heldBy(value: string | null, gen: number): number {
  if (value === null) return 0;
  const [g, n] = value.split(':').map(Number);
  return g === gen ? (n ?? 0) : 0;
}

/** A unit back (the order failed, or went unpaid): KEYS: meta, left, buyer. Ignored while unloaded. */
const GIVE_BACK: CacheScript<number> = {
  lua: `local meta = redis.call('GET', KEYS[1])
if not meta then return 0 end
local gen = string.match(meta, '|(%d+)$')
redis.call('INCR', KEYS[2])
local held = redis.call('GET', KEYS[3])
if held then
  local g, n = string.match(held, '^(%d+):(%d+)$')
  if g == gen and tonumber(n) > 0 then redis.call('SET', KEYS[3], gen .. ':' .. (tonumber(n) - 1)) end
end
return 1`,
  local(store, [meta, left, buyer]) {
    const m = store.get(meta!);
    if (m === null) return 0;
    const gen = Number(m.split('|')[4]);
    store.incrBy(left!, 1);
    const mine = heldBy(store.get(buyer!), gen);
    if (mine > 0) store.set(buyer!, `${gen}:${mine - 1}`);
    return 1;
  },
};

/** The next generation number for a rebuild. KEYS: generation. */
const NEXT_GENERATION: CacheScript<number> = {
  lua: `return redis.call('INCR', KEYS[1])`,
  local: (store, [generation]) => store.incrBy(generation!, 1),
};

/** Sets keys (buyers' counts, reservations) before the sale is marked loaded. ARGV: value for every key. */
const SET_MANY: CacheScript<number> = {
  lua: `for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[i]) end
return #KEYS`,
  local(store, keyList, values) {
    keyList.forEach((key, i) => {
      store.set(key, values[i]!);
    });
    return keyList.length;
  },
};

/** Marks the sale loaded with its units left, unless another process already did. KEYS: meta, left. */
const FINISH_LOAD: CacheScript<number> = {
  lua: `if redis.call('GET', KEYS[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
return 1`,
  local(store, [meta, left], [metaValue, leftValue]) {
    if (store.get(meta!) !== null) return 0;
    store.set(left!, leftValue!);
    store.set(meta!, metaValue!);
    return 1;
  },
};

const READ: CacheScript<string> = {
  lua: `return (redis.call('GET', KEYS[1]) or '-') .. '|' .. (redis.call('GET', KEYS[2]) or '0')`,
  local: (store, [left, attempts]) => `${store.get(left!) ?? '-'}|${store.get(attempts!) ?? '0'}`,
};

const FORGET: CacheScript<number> = {
  lua: `redis.call('DEL', KEYS[1]) return 1`,
  local(store, [meta]) {
    store.delete(meta!);
    return 1;
  },
};

/**
 * Where the gate lives: Redis when processes share one (scale-out), else an in-process store of
 * this app (embedded). The database stays the truth; the gate can always be rebuilt from it.
 */
function gateCache(ctx: Pick<Ctx, 'deps'>): Cache {
  if (ctx.deps.cache.kind === 'redis') return ctx.deps.cache;
  return ctx.deps.local.slot('marketing.flash_gate', () => memoryCache(ctx.deps.clock.now, 1));
}

export function takeFromGate(ctx: Pick<Ctx, 'deps'>, sale: GateSale, openid: string, now: number) {
  const k = keys(sale.id, openid);
  return gateCache(ctx).eval(
    TAKE,
    [k.meta, k.left, k.buyer, k.reserved, k.attempts],
    [String(now)],
  ) as Promise<GateAnswer>;
}

export async function giveBackToGate(ctx: Pick<Ctx, 'deps'>, saleId: string, openid: string): Promise<void> {
  const k = keys(saleId, openid);
  await gateCache(ctx).eval(GIVE_BACK, [k.meta, k.left, k.buyer], []);
}

export async function markReserved(ctx: Pick<Ctx, 'deps'>, saleId: string, openid: string): Promise<void> {
  await gateCache(ctx).eval(SET_MANY, [keys(saleId, openid).reserved], ['1']);
}

/**
 * Loads a sale into the gate from the database's truth: reservations and each buyer's live
 * passes first, then units left and the sale's rules, which is what makes it "loaded".
 */
export async function loadGate(
  ctx: Pick<Ctx, 'deps'>,
  sale: GateSale & { stock: number; sold: number },
  buyers: ReadonlyArray<{ openid: string; n: number }>,
  reserved: readonly string[],
): Promise<boolean> {
  const cache = gateCache(ctx);
  const k = keys(sale.id);
  const gen = await cache.eval(NEXT_GENERATION, [k.generation], []);
  const chunk = 2_000;
  for (let i = 0; i < reserved.length; i += chunk) {
    const part = reserved.slice(i, i + chunk);
    await cache.eval(
      SET_MANY,
      part.map((o) => keys(sale.id, o).reserved),
      part.map(() => '1'),
    );
  }
  for (let i = 0; i < buyers.length; i += chunk) {
    const part = buyers.slice(i, i + chunk);
    await cache.eval(
      SET_MANY,
      part.map((b) => keys(sale.id, b.openid).buyer),
      part.map((b) => `${gen}:${b.n}`),
    );
  }
  const meta = `${sale.opens_at}|${sale.closes_at}|${sale.per_buyer_limit}|${sale.requires_reservation}|${gen}`;
  return (await cache.eval(FINISH_LOAD, [k.meta, k.left], [meta, String(sale.stock - sale.sold)])) === 1;
}

/** Units the gate thinks are left (null when not loaded) and attempts it has answered. */
export async function readGate(ctx: Pick<Ctx, 'deps'>, saleId: string) {
  const k = keys(saleId);
  const [left, attempts] = (await gateCache(ctx).eval(READ, [k.left, k.attempts], [])).split('|');
  return { left: left === '-' ? null : Number(left), attempts: Number(attempts) };
}

/** Drops the loaded mark: the next attempt rebuilds the gate from the database. */
export async function forgetGate(ctx: Pick<Ctx, 'deps'>, saleId: string): Promise<void> {
  await gateCache(ctx).eval(FORGET, [keys(saleId).meta], []);
}
