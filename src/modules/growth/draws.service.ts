import { createHash } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { zoneOffsetMs } from '../../platform/db/day-buckets.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict, forbidden } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import { skusForOrder } from '../catalog/index.ts';
import { getCampaign } from '../marketing/index.ts';
import { getOrder } from '../orders/index.ts';
import { getMerchant } from '../tenants/index.ts';
import { fanPoints, requireCardProgram, spendOnPlay } from './draw-points.ts';
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
  'roll = parseInt(sha256_hex(seed + ":" + account_id + ":" + openid + ":" + entry_ref).slice(0, 8), 16) % 10000; prizes in position order take consecutive ranges of `odds`; a roll past them wins nothing; seed_hash = sha256_hex(seed); a play bought with points has entry_ref "points:<n>", the fan\'s nth in the draw';

export interface PrizeInput {
  name: string;
  kind: DrawPrizeKind;
  coupon_campaign_id?: string | null;
  sku_id?: string | null;
  /** For a `points` prize: the points it gives. */
  points?: number;
  odds: number;
  stock: number;
}

export interface DrawInput {
  account_id: string;
  name: string;
  entry_rule: DrawEntryRule;
  min_order_total?: number;
  /** For the `points` rule: what one play costs. */
  entry_points?: number;
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
  const entryPoints = input.entry_rule === 'points' ? (input.entry_points ?? 0) : 0;
  if (input.entry_rule === 'points' && entryPoints < 1)
    throw badRequest(
      'entry_points_required',
      '积分抽奖需设置每次消耗的积分',
      'A draw by points needs the points one play costs',
    );
  const pointsPrize = input.prizes.find((p) => p.kind === 'points');
  if (pointsPrize && (pointsPrize.points ?? 0) < 1)
    throw badRequest('points_required', '积分奖品需设置积分数量', 'A points prize needs a number of points');
  if (entryPoints > 0 || pointsPrize) await requireCardProgram(ctx);
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
    entry_points: entryPoints,
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
    points: p.kind === 'points' ? (p.points ?? 0) : 0,
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

/** The day in the merchant's own zone (daylight saving included): the daily check-in's play. */
async function localDay(ctx: Ctx): Promise<string> {
  const { timezone } = await getMerchant(ctx);
  return new Date(ctx.now + zoneOffsetMs(timezone, ctx.now)).toISOString().slice(0, 10);
}

/**
 * A bought play's entry: `points:<n>`, the fan's nth in this draw, counted inside the play's
 * transaction. Sequential rather than random, so the operator cannot pick entries that roll well;
 * two plays racing for the same n meet at the unique index and the loser takes the next one.
 */
async function nextPointsEntry(tx: Ctx, drawId: string, accountId: string, openid: string): Promise<string> {
  const row = await tx.db
    .selectFrom('growth_draw_results')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('draw_id', '=', drawId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .where('entry_ref', 'like', 'points:%')
    .executeTakeFirstOrThrow();
  return `points:${Number(row.n) + 1}`;
}

/** Which play this is, checked against the draw's rule; the unique index makes it one per rule. */
async function entryRef(fan: Ctx, draw: GrowthDrawsTable, orderId: string | undefined): Promise<string> {
  if (draw.entry_rule === 'points') return 'points';
  if (draw.entry_rule === 'once') return 'once';
  if (draw.entry_rule === 'daily') return `day:${await localDay(fan)}`;
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

export type PlayResult = GrowthDrawResultsTable & {
  prize: GrowthDrawPrizesTable | null;
  /** The fan's points after the play, or null without a member card. */
  points_balance: number | null;
};

/** Tries of a bought play that lost the race for its entry number to the same fan's other play. */
const ENTRY_RACE_TRIES = 5;

/**
 * One play. The result row (unique per fan and entry), the prize's guarded stock (`won < stock`),
 * the points a bought play costs and the play count are written in one transaction: however many
 * fans play at once no prize is given past its stock, no entry plays twice, no card goes below 0,
 * and a play that fails anywhere spends no points. A roll that lands on a prize with no stock left
 * wins nothing, and says so. The coupon, goods or points follow as a job keyed by the result.
 */
export async function play(fan: Ctx, drawId: string, input: { order_id?: string } = {}): Promise<PlayResult> {
  if (fan.actor.kind !== 'fan') throw forbidden();
  const { accountId, openid } = fan.actor;
  const draw = await drawRow(fan, drawId);
  if (draw.account_id !== accountId) throw forbidden();
  if (draw.status !== 'active' || fan.now < draw.starts_at || fan.now >= draw.ends_at)
    throw conflict('draw_closed', '抽奖未开始或已结束', 'The draw is not open');
  const ruleRef = await entryRef(fan, draw, input.order_id);
  const seed = await fan.deps.vault.open(fan.merchantId, draw.seed_sealed);
  const prizes = await prizesOf(fan, [drawId]);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await inTransaction(fan.db, async (trx) => {
        const tx = { ...fan, db: trx };
        const ref = ruleRef === 'points' ? await nextPointsEntry(tx, drawId, accountId, openid) : ruleRef;
        const roll = rollOf(seed, accountId, openid, ref);
        const rolled = prizeForRoll(prizes, roll);
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
          points_spent: ruleRef === 'points' ? draw.entry_points : 0,
          points_awarded: 0,
          created_at: fan.now,
        };
        await trx.insertInto('growth_draw_results').values(row).execute();
        if (row.points_spent > 0) await spendOnPlay(tx, draw, { accountId, openid }, row.id);
        // Guarded on the draw still being open: a play racing the operator's "end" is not recorded.
        const counted = await trx
          .updateTable('growth_draws')
          .set((eb) => ({ plays: eb('plays', '+', 1) }))
          .where('id', '=', drawId)
          .where('status', '=', 'active')
          .executeTakeFirst();
        if (Number(counted.numUpdatedRows) === 0)
          throw conflict('draw_closed', '抽奖未开始或已结束', 'The draw is not open');
        if (given)
          await enqueueJob(
            trx,
            { type: DRAW_PRIZE_JOB, key: row.id, merchantId: fan.merchantId, payload: { resultId: row.id } },
            fan.now,
          );
        return { ...row, prize: given };
      });
      fan.deps.wakeJobs();
      const points_balance = draw.entry_rule === 'points' ? await fanPoints(fan) : null;
      return { ...result, points_balance };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      if (ruleRef === 'points' && attempt < ENTRY_RACE_TRIES) continue;
      throw conflict('already_played', '这次机会已经抽过了', 'This chance has already been used');
    }
  }
}
