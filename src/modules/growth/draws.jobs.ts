import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { AppError, conflict, forbidden, notFound } from '../../platform/http/errors.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { claimCoupon } from '../marketing/index.ts';
import { type AddressInput, getOrder, ORDER_EVENTS, type OrderView } from '../orders/index.ts';
import { awardPrizePoints } from './draw-points.ts';
import { DRAW_PRIZE_JOB } from './draws.service.ts';
import { prizesPath, tellFan } from './growth-notices.ts';
import { type PrizeAddress, placeFreeOrder, savedAddress } from './prize-order.ts';
import type { GrowthDrawPrizesTable, GrowthDrawResultsTable } from './share-draws.schema.ts';

async function resultWithPrize(ctx: Pick<Ctx, 'db' | 'merchantId'>, resultId: string) {
  const result = await ctx.db
    .selectFrom('growth_draw_results')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', resultId)
    .executeTakeFirst();
  if (!result?.prize_id) return null;
  const prize = await ctx.db
    .selectFrom('growth_draw_prizes')
    .selectAll()
    .where('id', '=', result.prize_id)
    .executeTakeFirstOrThrow();
  return { result, prize };
}

function placeGoods(
  fan: Ctx,
  result: GrowthDrawResultsTable,
  prize: GrowthDrawPrizesTable,
  where: PrizeAddress,
) {
  return placeFreeOrder(
    fan,
    {
      skuId: prize.sku_id ?? '',
      kind: 'lucky_draw',
      label: '抽奖奖品',
      note: `抽奖奖品：${prize.name}`,
      ref: result.draw_id,
    },
    `draw:${result.id}`,
    where,
    async (db, orderId) => {
      await db
        .updateTable('growth_draw_results')
        .set({ order_id: orderId })
        .where('id', '=', result.id)
        .execute();
    },
  );
}

/** A goods winner with no saved address sends one from the prizes page; the ¥0 order is then placed. */
export async function claimDrawGoods(fan: Ctx, resultId: string, address: AddressInput): Promise<OrderView> {
  if (fan.actor.kind !== 'fan') throw forbidden();
  const found = await resultWithPrize(fan, resultId);
  if (!found || found.result.openid !== fan.actor.openid || found.result.account_id !== fan.actor.accountId)
    throw notFound({ zh: '中奖记录', en: 'Prize' });
  if (found.prize.kind !== 'goods')
    throw conflict('not_goods', '这个奖品无需填写地址', 'This prize needs no address');
  if (found.result.order_id)
    throw conflict('already_claimed', '奖品已经下单', 'The prize has already been ordered');
  return placeGoods(fan, found.result, found.prize, { address });
}

/**
 * The prize of a winning play: the coupon into the fan's wallet, points onto the member card, or
 * goods as a ¥0 order. A paid order of an account with a draw by order earns a play: the fan is
 * told with the draw's link.
 */
export function registerDrawJobs(deps: AppDeps): void {
  deps.events.subscribe(ORDER_EVENTS.paid, 'growth.draw_chance', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    const order = await getOrder(ctx, String(event.payload.orderId)).catch(() => null);
    // A prize order (¥0) earns nothing.
    if (!order || order.total <= 0) return;
    const draws = await deps.db
      .selectFrom('growth_draws')
      .select(['id', 'name', 'min_order_total'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('account_id', '=', order.account_id)
      .where('entry_rule', '=', 'order')
      .where('status', '=', 'active')
      .where('starts_at', '<=', ctx.now)
      .where('ends_at', '>', ctx.now)
      .execute();
    const earned = draws.filter((d) => order.total >= Number(d.min_order_total));
    if (earned.length === 0) return;
    await tellFan(deps, ctx.merchantId, order, (appid, base) =>
      earned
        .map(
          (d) =>
            `这笔订单送你一次「${d.name}」抽奖机会：<a href="${base}/shop/${appid}/draws/${d.id}?order=${order.id}">去抽奖</a>`,
        )
        .join('\n'),
    ).catch((error) => {
      if (!(error instanceof PermanentJobError)) throw error;
    });
  });

  deps.jobHandlers.set(DRAW_PRIZE_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('prize without merchant');
    const found = await resultWithPrize(merchantCtx(deps, job.merchantId), String(job.payload.resultId));
    if (!found) throw new PermanentJobError('result is gone');
    const { result, prize } = found;
    const fan = merchantCtx(deps, job.merchantId, {
      kind: 'fan',
      accountId: result.account_id,
      openid: result.openid,
    });
    if (prize.kind === 'coupon' && prize.coupon_campaign_id && !result.coupon_id) {
      try {
        const coupon = await claimCoupon(fan, prize.coupon_campaign_id);
        await deps.db
          .updateTable('growth_draw_results')
          .set({ coupon_id: coupon.id })
          .where('id', '=', result.id)
          .execute();
      } catch (error) {
        // The coupon campaign ran dry or the fan holds their limit: recorded as won, nothing to give.
        if (error instanceof AppError && error.status === 409) return;
        throw error;
      }
    }
    if (prize.kind === 'points') {
      try {
        await awardPrizePoints(fan, result, prize);
      } catch (error) {
        // The card program is paused and the fan holds no card: recorded as won, nothing to give.
        if (error instanceof AppError && error.status === 409) return;
        throw error;
      }
    }
    if (prize.kind === 'goods' && !result.order_id) {
      const address = await savedAddress(fan);
      if (address) await placeGoods(fan, result, prize, address);
    }
    await tellFan(
      deps,
      job.merchantId,
      result,
      (appid, base) => `恭喜你抽中「${prize.name}」！<a href="${base}${prizesPath(appid)}">查看奖品</a>`,
    ).catch((error) => {
      if (!(error instanceof PermanentJobError)) throw error;
    });
  });
}
