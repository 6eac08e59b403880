import { createHash } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict, forbidden } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import { skusForOrder } from '../catalog/index.ts';
import { getCampaign } from '../marketing/index.ts';
import { getOrder } from '../orders/index.ts';
import type {
  DrawEntryRule,
  DrawPrizeKind,
  GrowthDrawPrizesTable,
  GrowthDrawResultsTable,
  GrowthDrawsTable,
} from './share-draws.schema.ts';
import { newSeed, seedHash } from './trial-draw.ts';

export const DRAW = { zh: '抽奖活动', en: 'Lucky draw' };
export const DRAW_PRIZE_JOB = 'growth.draw_prize';
export const ODDS_SCALE = 10_000;
export const ROLL_ALGORITHM =
  'roll = parseInt(sha256_hex(seed + ":" + account_id + ":" + openid + ":" + entry_ref).slice(0, 8), 16) % 10000; prizes in position order take consecutive ranges of `odds`; a roll past them wins nothing; seed_hash = sha256_hex(seed)';

export interface PrizeInput {
  name: string;
  kind: DrawPrizeKind;
  coupon_campaign_id?: string | null;
  sku_id?: string | null;
  odds: number;
  stock: number;
}

export interface DrawInput {
  account_id: string;
  name: string;
  entry_rule: DrawEntryRule;
  min_order_total?: number;
  starts_at?: number;
  ends_at: number;
  prizes: PrizeInput[];
}

export type DrawView = Omit<GrowthDrawsTable, 'seed_sealed'> & { prizes: GrowthDrawPrizesTable[] };

/** The roll of one play: recomputable by anyone once the seed is revealed. */
export function rollOf(seed: string, accountId: string, openid: string, entryRef: string): number {
  const hex = createHash('sha256').update(`${seed}:${accountId}:${openid}:${entryRef}`).digest('hex');
  return Number.parseInt(hex.slice(0, 8), 16) % ODDS_SCALE;
}

/** The prize a roll lands on: prizes take consecutive ranges of their odds, in position order. */
export function prizeForRoll<P extends Pick<GrowthDrawPrizesTable, 'odds' | 'position'>>(
  prizes: readonly P[],
  roll: number,
): P | null {
  let upper = 0;
  for (const prize of [...prizes].sort((a, b) => a.position - b.position)) {
    upper += prize.odds;
    if (roll < upper) return prize;
  }
  return null;
}

export async function createDraw(ctx: Ctx, input: DrawInput): Promise<DrawView> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, input.account_id);
  const startsAt = input.starts_at ?? ctx.now;
  if (input.ends_at <= Math.max(startsAt, ctx.now))
    throw badRequest(
      'invalid_window',
      '结束时间必须晚于开始时间和现在',
      'The end must be after the start and now',
    );
  const total = input.prizes.reduce((sum, p) => sum + p.odds, 0);
  if (input.prizes.length === 0 || total > ODDS_SCALE)
    throw badRequest(
      'invalid_odds',
      '至少一个奖品，中奖概率合计不超过 100%',
      'At least one prize, and the odds add up to at most 100%',
    );
  for (const prize of input.prizes) {
    if (prize.kind === 'coupon') {
      if (!prize.coupon_campaign_id)
        throw badRequest(
          'coupon_required',
          '优惠券奖品需选择券活动',
          'A coupon prize needs a coupon campaign',
        );
      await getCampaign(ctx, prize.coupon_campaign_id);
    }
    if (prize.kind === 'goods') {
      const [sku] = prize.sku_id ? await skusForOrder(ctx, [prize.sku_id]) : [];
      if (!sku)
        throw badRequest('unknown_sku', '实物奖品的商品不存在', 'No such product SKU for the goods prize');
    }
  }
  const seed = newSeed();
  const draw: GrowthDrawsTable = {
    id: newId('drw', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: input.account_id,
    name: input.name.trim(),
    entry_rule: input.entry_rule,
    min_order_total: input.min_order_total ?? 0,
    status: 'active',
    seed_hash: seedHash(seed),
    seed_sealed: await ctx.deps.vault.seal(ctx.merchantId, seed),
    seed: null,
    starts_at: startsAt,
    ends_at: input.ends_at,
    plays: 0,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  const prizes: GrowthDrawPrizesTable[] = input.prizes.map((p, position) => ({
    id: newId('prz', ctx.now),
    merchant_id: ctx.merchantId,
    draw_id: draw.id,
    position,
    name: p.name.trim(),
    kind: p.kind,
    coupon_campaign_id: p.kind === 'coupon' ? (p.coupon_campaign_id ?? null) : null,
    sku_id: p.kind === 'goods' ? (p.sku_id ?? null) : null,
    odds: p.odds,
    stock: p.kind === 'nothing' ? 0 : p.stock,
    won: 0,
  }));
  await inTransaction(ctx.db, async (trx) => {
    await trx.insertInto('growth_draws').values(draw).execute();
    await trx.insertInto('growth_draw_prizes').values(prizes).execute();
  });
  const { seed_sealed: _sealed, ...rest } = draw;
  return { ...rest, prizes };
}

async function drawRow(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<GrowthDrawsTable> {
  return found(
    await ctx.db
      .selectFrom('growth_draws')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    DRAW,
  );
}

async function prizesOf(ctx: Pick<Ctx, 'db' | 'merchantId'>, drawIds: string[]) {
  if (drawIds.length === 0) return [];
  return ctx.db
    .selectFrom('growth_draw_prizes')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('draw_id', 'in', drawIds)
    .orderBy('position')
    .execute();
}

/** A draw with its prizes, as anyone may see it (the seed only once revealed). */
export async function drawView(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<DrawView> {
  const { seed_sealed: _sealed, ...row } = await drawRow(ctx, id);
  return { ...row, prizes: await prizesOf(ctx, [id]) };
}

export async function getDraw(ctx: Ctx, id: string): Promise<DrawView> {
  requireRole(ctx, 'operator');
  return drawView(ctx, id);
}

export async function listDraws(ctx: Ctx): Promise<DrawView[]> {
  requireRole(ctx, 'operator');
  const rows = await ctx.db
    .selectFrom('growth_draws')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at', 'desc')
    .limit(100)
    .execute();
  const prizes = await prizesOf(
    ctx,
    rows.map((r) => r.id),
  );
  return rows.map(({ seed_sealed: _sealed, ...row }) => ({
    ...row,
    prizes: prizes.filter((p) => p.draw_id === row.id),
  }));
}

/** Ends the draw and reveals its seed: from now on every result can be recomputed. */
export async function endDraw(ctx: Ctx, id: string): Promise<DrawView> {
  requireRole(ctx, 'operator');
  const draw = await drawRow(ctx, id);
  if (draw.status === 'ended') return drawView(ctx, id);
  const seed = await ctx.deps.vault.open(ctx.merchantId, draw.seed_sealed);
  await ctx.db
    .updateTable('growth_draws')
    .set({ status: 'ended', seed, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return drawView(ctx, id);
}

/** The day in the merchant's zone (Asia/Shanghai): the daily check-in's play. */
const dayOf = (now: number) => new Date(now + 8 * 3_600_000).toISOString().slice(0, 10);

/** Which play this is, checked against the draw's rule; the unique index makes it one per rule. */
async function entryRef(fan: Ctx, draw: GrowthDrawsTable, orderId: string | undefined): Promise<string> {
  if (draw.entry_rule === 'once') return 'once';
  if (draw.entry_rule === 'daily') return `day:${dayOf(fan.now)}`;
  if (!orderId)
    throw badRequest('order_required', '请选择一笔已支付的订单', 'Pick a paid order to play with');
  const order = await getOrder(fan, orderId).catch(() => null);
  const paid = order && ['paid', 'shipped', 'completed'].includes(order.status);
  // Only the fan's own order of this account: another buyer's order id is no chance of theirs.
  const own =
    order &&
    fan.actor.kind === 'fan' &&
    order.openid === fan.actor.openid &&
    order.account_id === draw.account_id;
  if (!order || !own || !paid || order.paid_at === null || order.paid_at < draw.starts_at)
    throw conflict('order_not_eligible', '这笔订单不能参与抽奖', 'This order cannot be used for the draw');
  if (order.total < Number(draw.min_order_total))
    throw conflict('order_too_small', '订单金额未达到抽奖门槛', 'The order is below the draw’s minimum');
  return `order:${order.id}`;
}

export type PlayResult = GrowthDrawResultsTable & { prize: GrowthDrawPrizesTable | null };

/**
 * One play. The result row (unique per fan and entry) and the prize's guarded stock (`won < stock`)
 * are written in one transaction, so however many fans play at once no prize is given past its
 * stock and no entry plays twice. A roll that lands on a prize with no stock left wins nothing,
 * and says so. The coupon or goods follow as a job keyed by the result.
 */
export async function play(fan: Ctx, drawId: string, input: { order_id?: string } = {}): Promise<PlayResult> {
  if (fan.actor.kind !== 'fan') throw forbidden();
  const { accountId, openid } = fan.actor;
  const draw = await drawRow(fan, drawId);
  if (draw.account_id !== accountId) throw forbidden();
  if (draw.status !== 'active' || fan.now < draw.starts_at || fan.now >= draw.ends_at)
    throw conflict('draw_closed', '抽奖未开始或已结束', 'The draw is not open');
  const ref = await entryRef(fan, draw, input.order_id);
  const seed = await fan.deps.vault.open(fan.merchantId, draw.seed_sealed);
  const roll = rollOf(seed, accountId, openid, ref);
  const prizes = await prizesOf(fan, [drawId]);
  const rolled = prizeForRoll(prizes, roll);
  try {
    const result = await inTransaction(fan.db, async (trx) => {
      let given: GrowthDrawPrizesTable | null = null;
      if (rolled && rolled.kind !== 'nothing') {
        const took = await trx
          .updateTable('growth_draw_prizes')
          .set((eb) => ({ won: eb('won', '+', 1) }))
          .where('id', '=', rolled.id)
          .where((eb) => eb('won', '<', eb.ref('stock')))
          .executeTakeFirst();
        if (Number(took.numUpdatedRows) > 0) given = rolled;
      }
      const row: GrowthDrawResultsTable = {
        id: newId('drr', fan.now),
        merchant_id: fan.merchantId,
        draw_id: drawId,
        account_id: accountId,
        openid,
        entry_ref: ref,
        roll,
        rolled_prize_id: rolled?.id ?? null,
        prize_id: given?.id ?? null,
        outcome: given ? 'won' : rolled && rolled.kind !== 'nothing' ? 'out_of_stock' : 'nothing',
        coupon_id: null,
        order_id: null,
        created_at: fan.now,
      };
      await trx.insertInto('growth_draw_results').values(row).execute();
      await trx
        .updateTable('growth_draws')
        .set((eb) => ({ plays: eb('plays', '+', 1) }))
        .where('id', '=', drawId)
        .execute();
      if (given)
        await enqueueJob(
          trx,
          { type: DRAW_PRIZE_JOB, key: row.id, merchantId: fan.merchantId, payload: { resultId: row.id } },
          fan.now,
        );
      return { ...row, prize: given };
    });
    fan.deps.wakeJobs();
    return result;
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('already_played', '这次机会已经抽过了', 'This chance has already been used');
    throw error;
  }
}

/** The fan's results in one draw (or all draws), newest first. */
export async function fanResults(fan: Ctx, drawId?: string) {
  if (fan.actor.kind !== 'fan') throw forbidden();
  let query = fan.db
    .selectFrom('growth_draw_results')
    .leftJoin('growth_draw_prizes', 'growth_draw_prizes.id', 'growth_draw_results.prize_id')
    .innerJoin('growth_draws', 'growth_draws.id', 'growth_draw_results.draw_id')
    .select([
      'growth_draw_results.id',
      'growth_draw_results.draw_id',
      'growth_draw_results.entry_ref',
      'growth_draw_results.outcome',
      'growth_draw_results.coupon_id',
      'growth_draw_results.order_id',
      'growth_draw_results.created_at',
      'growth_draw_prizes.name as prize_name',
      'growth_draw_prizes.kind as prize_kind',
      'growth_draws.name as draw_name',
    ])
    .where('growth_draw_results.merchant_id', '=', fan.merchantId)
    .where('growth_draw_results.account_id', '=', fan.actor.accountId)
    .where('growth_draw_results.openid', '=', fan.actor.openid);
  if (drawId) query = query.where('growth_draw_results.draw_id', '=', drawId);
  return query.orderBy('growth_draw_results.id', 'desc').limit(50).execute();
}

/** Everything needed to recompute each roll: the published hash, the seed (once ended) and the plays. */
export async function drawAudit(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  const draw = await drawView(ctx, id);
  const results = await ctx.db
    .selectFrom('growth_draw_results')
    .select(['id', 'account_id', 'openid', 'entry_ref', 'roll', 'rolled_prize_id', 'prize_id', 'outcome'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('draw_id', '=', id)
    .orderBy('id')
    .limit(10_000)
    .execute();
  return {
    draw_id: draw.id,
    seed_hash: draw.seed_hash,
    seed: draw.seed,
    algorithm: ROLL_ALGORITHM,
    prizes: draw.prizes.map((p) => ({
      id: p.id,
      name: p.name,
      position: p.position,
      odds: p.odds,
      stock: p.stock,
      won: p.won,
    })),
    results,
  };
}
