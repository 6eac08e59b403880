import { randomInt } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { buyerOf } from '../orders/index.ts';
import { cardOfFan } from './cards.service.ts';
import { movePoints } from './ledger.service.ts';
import type { LoyaltyRedemptionsTable, LoyaltyRewardsTable } from './loyalty.schema.ts';
import { getProgram } from './program.service.ts';

const REWARD = { zh: '积分礼品', en: 'Reward' };
const REDEMPTION = { zh: '兑换记录', en: 'Redemption' };

export interface RewardInput {
  name: string;
  description: string;
  image_url: string;
  points: number;
  stock: number | null;
  per_card_limit: number;
  min_level: string;
  status: 'active' | 'archived';
}

export type RewardView = LoyaltyRewardsTable;
const rewardView = (r: LoyaltyRewardsTable): RewardView => ({
  ...r,
  points: Number(r.points),
  stock: r.stock === null ? null : Number(r.stock),
  per_card_limit: Number(r.per_card_limit),
  redeemed: Number(r.redeemed),
  created_at: Number(r.created_at),
  updated_at: Number(r.updated_at),
});
const redemptionView = (r: LoyaltyRedemptionsTable) => ({
  ...r,
  points: Number(r.points),
  created_at: Number(r.created_at),
  fulfilled_at: r.fulfilled_at === null ? null : Number(r.fulfilled_at),
});

async function checkLevel(ctx: Ctx, key: string): Promise<void> {
  if (key && !(await getProgram(ctx)).levels.some((l) => l.key === key))
    throw badRequest('invalid_level', '没有这个会员等级', 'No such level');
}

export async function createReward(ctx: Ctx, input: RewardInput): Promise<RewardView> {
  requireRole(ctx, 'operator');
  await checkLevel(ctx, input.min_level);
  const row: LoyaltyRewardsTable = {
    id: newId('rwd', ctx.now),
    merchant_id: ctx.merchantId,
    ...input,
    redeemed: 0,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('loyalty_rewards').values(row).execute();
  return rewardView(row);
}

export async function getReward(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<RewardView> {
  const row = await ctx.db
    .selectFrom('loyalty_rewards')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return rewardView(found(row, REWARD));
}

export async function updateReward(ctx: Ctx, id: string, input: RewardInput): Promise<RewardView> {
  requireRole(ctx, 'operator');
  await getReward(ctx, id);
  await checkLevel(ctx, input.min_level);
  await ctx.db
    .updateTable('loyalty_rewards')
    .set({ ...input, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return getReward(ctx, id);
}

/** The catalogue: everything for the console, the active ones for a fan. */
export async function listRewards(ctx: Pick<Ctx, 'db' | 'merchantId'>, activeOnly: boolean) {
  let q = ctx.db.selectFrom('loyalty_rewards').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (activeOnly) q = q.where('status', '=', 'active');
  return (await q.orderBy('points', 'asc').limit(200).execute()).map(rewardView);
}

/**
 * A fan spends points on a reward: the level, the per-card limit, the stock (guarded in its
 * UPDATE) and the points (guarded in the ledger's) are all decided in one transaction, the card's
 * row locked first on PostgreSQL so one card's concurrent redemptions queue up. The code is what
 * the fan shows the clerk.
 */
export async function redeemReward(ctx: Ctx, rewardId: string) {
  const { accountId, openid } = buyerOf(ctx);
  const card = await cardOfFan(ctx, accountId, openid);
  if (!card) throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
  const program = await getProgram(ctx);
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    let lock = trx.selectFrom('loyalty_cards').select(['id', 'level']).where('id', '=', card.id);
    if (ctx.dialect === 'postgres') lock = lock.forUpdate();
    const locked = await lock.executeTakeFirstOrThrow();
    const reward = await getReward(tx, rewardId);
    if (reward.status !== 'active') throw notFound(REWARD);
    const rank = (key: string) => program.levels.findIndex((l) => l.key === key);
    if (reward.min_level && rank(locked.level) < rank(reward.min_level))
      throw conflict('level_too_low', '会员等级不够，无法兑换', 'Your level cannot redeem this reward');
    const taken = await trx
      .selectFrom('loyalty_redemptions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('card_id', '=', card.id)
      .where('reward_id', '=', rewardId)
      .where('status', '!=', 'cancelled')
      .executeTakeFirstOrThrow();
    if (reward.per_card_limit > 0 && Number(taken.n) >= reward.per_card_limit)
      throw conflict('limit_reached', '已达兑换上限', 'You have redeemed this reward the most times allowed');
    const stocked = await trx
      .updateTable('loyalty_rewards')
      .set((eb) => ({
        stock: eb('stock', '-', 1),
        redeemed: eb('redeemed', '+', 1),
        updated_at: ctx.now,
      }))
      .where('id', '=', rewardId)
      .where((eb) => eb.or([eb('stock', 'is', null), eb('stock', '>', 0)]))
      .executeTakeFirst();
    if (Number(stocked.numUpdatedRows) === 0)
      throw conflict('out_of_stock', '礼品已兑完', 'This reward is gone');
    const id = newId('rdm', ctx.now);
    await movePoints(tx, {
      cardId: card.id,
      delta: -reward.points,
      reason: 'reward',
      ref: id,
      note: reward.name,
    });
    const row: LoyaltyRedemptionsTable = {
      id,
      merchant_id: ctx.merchantId,
      reward_id: rewardId,
      card_id: card.id,
      points: reward.points,
      code: String(randomInt(1e9, 1e10)),
      status: 'issued',
      created_at: ctx.now,
      fulfilled_at: null,
    };
    await trx.insertInto('loyalty_redemptions').values(row).execute();
    return { ...redemptionView(row), reward_name: reward.name };
  });
}

/** The clerk hands the reward over against its code, once. */
export async function fulfilRedemption(ctx: Ctx, code: string) {
  requireRole(ctx, 'clerk', 'operator');
  const done = await ctx.db
    .updateTable('loyalty_redemptions')
    .set({ status: 'fulfilled', fulfilled_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('code', '=', code)
    .where('status', '=', 'issued')
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) === 0)
    throw conflict('code_invalid', '兑换码无效或已使用', 'The redemption code is used or unknown');
  const row = await ctx.db
    .selectFrom('loyalty_redemptions')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('code', '=', code)
    .executeTakeFirstOrThrow();
  return redemptionView(row);
}

/** An operator cancels an unfulfilled redemption: the points and the stock come back. */
export async function cancelRedemption(ctx: Ctx, id: string) {
  requireRole(ctx, 'operator');
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const row = found(
      await trx
        .selectFrom('loyalty_redemptions')
        .selectAll()
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', id)
        .executeTakeFirst(),
      REDEMPTION,
    );
    const cancelled = await trx
      .updateTable('loyalty_redemptions')
      .set({ status: 'cancelled' })
      .where('id', '=', id)
      .where('status', '=', 'issued')
      .executeTakeFirst();
    if (Number(cancelled.numUpdatedRows) === 0)
      throw conflict(
        'not_cancellable',
        '已核销或已取消的兑换不能取消',
        'Only an unfulfilled redemption can be cancelled',
      );
    await movePoints(tx, {
      cardId: row.card_id,
      delta: Number(row.points),
      reason: 'reward_return',
      ref: id,
    });
    await trx
      .updateTable('loyalty_rewards')
      .set((eb) => ({
        stock: eb
          .case()
          .when('stock', 'is', null)
          .then(null)
          .else(eb('stock', '+', 1))
          .end(),
        redeemed: eb('redeemed', '-', 1),
        updated_at: ctx.now,
      }))
      .where('id', '=', row.reward_id)
      .execute();
    return redemptionView({ ...row, status: 'cancelled' });
  });
}

export async function listRedemptions(ctx: Ctx, filter: { card_id?: string; reward_id?: string }) {
  requireRole(ctx, 'operator', 'clerk');
  let q = ctx.db.selectFrom('loyalty_redemptions').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.card_id) q = q.where('card_id', '=', filter.card_id);
  if (filter.reward_id) q = q.where('reward_id', '=', filter.reward_id);
  return (await q.orderBy('id', 'desc').limit(200).execute()).map(redemptionView);
}

/** A fan's own redemptions (the card page shows their codes). */
export async function cardRedemptions(ctx: Pick<Ctx, 'db' | 'merchantId'>, cardId: string) {
  const rows = await ctx.db
    .selectFrom('loyalty_redemptions')
    .innerJoin('loyalty_rewards', 'loyalty_rewards.id', 'loyalty_redemptions.reward_id')
    .selectAll('loyalty_redemptions')
    .select('loyalty_rewards.name as reward_name')
    .where('loyalty_redemptions.merchant_id', '=', ctx.merchantId)
    .where('loyalty_redemptions.card_id', '=', cardId)
    .orderBy('loyalty_redemptions.id', 'desc')
    .limit(20)
    .execute();
  return rows.map((r) => ({ ...redemptionView(r), reward_name: r.reward_name }));
}
