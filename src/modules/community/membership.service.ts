import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { buyerOf, getOrder, type OrderView, placeOrder } from '../orders/index.ts';
import type {
  CommunityMembershipsTable,
  CommunityPlansTable,
  CommunitySeatsTable,
} from './community.schema.ts';
import { DAY_MS, lastRound, openRound, planRow } from './plans.service.ts';

export const RENEWAL_JOB = 'community.renewal_reminder';
/** How long before the end the renewal reminder goes out. */
export const REMIND_BEFORE_MS = 7 * DAY_MS;

export const isActive = (m: Pick<CommunityMembershipsTable, 'status' | 'expires_at'> | null, now: number) =>
  m !== null && m.status === 'active' && m.expires_at > now;

export async function membershipOf(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  accountId: string,
  openid: string,
): Promise<CommunityMembershipsTable | null> {
  return (
    (await ctx.db
      .selectFrom('community_memberships')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('account_id', '=', accountId)
      .where('openid', '=', openid)
      .executeTakeFirst()) ?? null
  );
}

const soldOut = () => conflict('sold_out', '本期会员名额已满', 'This round has no seats left');

/**
 * The fan buys (or renews) a plan through the normal checkout: an order for the plan's SKU, paid
 * with WeChat Pay like any other. New members take a seat of the open round inside the order's
 * transaction, by a guarded increment (seats_taken < cap), so concurrent buyers never exceed the
 * cap on either engine; a renewal by an existing member needs no open window and no seat.
 */
export async function joinPlan(ctx: Ctx, planId: string): Promise<OrderView> {
  const { accountId, openid } = buyerOf(ctx);
  const plan = await planRow(ctx, planId);
  if (plan.status !== 'active')
    throw conflict('plan_paused', '该会员方案暂停招募', 'This plan is not on sale');
  const existing = await membershipOf(ctx, accountId, openid);
  // Only a member whose membership still runs renews outside the window and without a seat.
  const renewing = isActive(existing, ctx.now);
  const open = openRound(plan, ctx.now);
  if (!renewing && open === null)
    throw conflict(
      'recruiting_closed',
      '不在招募期内，请等待下一期招募',
      'Recruiting is closed until the next round',
    );
  const round = open ?? lastRound(plan, ctx.now);
  const seats = await ctx.db
    .selectFrom('community_seats')
    .select(['order_id', 'status'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('plan_id', '=', plan.id)
    .where('round_start', '=', round)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .execute();
  if (!renewing && seats.some((s) => s.status === 'paid'))
    throw conflict('already_member', '您已是本期会员', 'You are already a member of this round');
  // One key per attempt: a double tap makes one order; after a cancel the fan may try again.
  const attempt = seats.filter((s) => s.status === 'released').length;
  const paidBefore = seats.filter((s) => s.status === 'paid').length;
  return placeOrder(
    ctx,
    {
      items: [{ sku_id: plan.sku_id, quantity: 1 }],
      payment_method: 'wechat',
      expected_total: plan.price,
      source: 'membership',
      note: `${renewing ? '续费' : '加入'}：${plan.name}`,
      idempotency_key: `membership:${plan.id}:${round}:${paidBefore}:${attempt}`,
    },
    {
      async withinTransaction(tx, placed) {
        if (!renewing && !(await takeSeat(tx.db, plan, round))) throw soldOut();
        await tx.db
          .insertInto('community_seats')
          .values({
            order_id: placed.id,
            merchant_id: ctx.merchantId,
            plan_id: plan.id,
            round_start: round,
            account_id: accountId,
            openid,
            status: 'held',
            counted: renewing ? 0 : 1,
            amount: placed.total,
            created_at: ctx.now,
            updated_at: ctx.now,
          })
          .execute();
      },
    },
  );
}

/** One seat of the round, by a guarded increment: false when the round is full. */
async function takeSeat(db: Ctx['db'], plan: CommunityPlansTable, round: number): Promise<boolean> {
  await db
    .insertInto('community_plan_rounds')
    .values({ plan_id: plan.id, round_start: round, merchant_id: plan.merchant_id, seats_taken: 0 })
    .onConflict((oc) => oc.columns(['plan_id', 'round_start']).doNothing())
    .execute();
  const taken = await db
    .updateTable('community_plan_rounds')
    .set((eb) => ({ seats_taken: eb('seats_taken', '+', 1) }))
    .where('plan_id', '=', plan.id)
    .where('round_start', '=', round)
    .where('seats_taken', '<', plan.seat_cap)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) > 0;
}

/**
 * A plan's product bought outside the membership page (its product URL): the seat is taken when
 * the money arrives, under the same cap; with none left (or recruiting closed for a non-member)
 * the order is logged for the operator to refund.
 */
async function seatForStrayOrder(ctx: Ctx, orderId: string): Promise<boolean> {
  const order = await getOrder(ctx, orderId).catch(() => null);
  if (!order) return false;
  const productIds = order.items.map((i) => i.product_id);
  const plan = await ctx.db
    .selectFrom('community_plans')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('product_id', 'in', productIds.length > 0 ? productIds : [''])
    .executeTakeFirst();
  if (!plan) return false;
  const renewing = isActive(await membershipOf(ctx, order.account_id, order.openid), ctx.now);
  const open = openRound(plan, ctx.now);
  return inTransaction(ctx.db, async (trx) => {
    const round = open ?? lastRound(plan, ctx.now);
    if (!renewing && (open === null || !(await takeSeat(trx, plan, round)))) {
      ctx.deps.logger.warn({ orderId, planId: plan.id }, 'membership paid with no seat left: refund it');
      return false;
    }
    const inserted = await trx
      .insertInto('community_seats')
      .values({
        order_id: order.id,
        merchant_id: ctx.merchantId,
        plan_id: plan.id,
        round_start: round,
        account_id: order.account_id,
        openid: order.openid,
        status: 'held',
        counted: renewing ? 0 : 1,
        amount: order.total,
        created_at: ctx.now,
        updated_at: ctx.now,
      })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  });
}

/** order.paid: the seat is paid and the membership starts, or is extended by one period. Once per order. */
export async function activateForOrder(ctx: Ctx, orderId: string): Promise<boolean> {
  const known = await ctx.db
    .selectFrom('community_seats')
    .select('order_id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (!known && !(await seatForStrayOrder(ctx, orderId))) return false;
  return inTransaction(ctx.db, async (trx) => {
    const seat = await moveSeat({ ...ctx, db: trx }, orderId, 'paid', (s) => s.status === 'held');
    if (!seat) return false;
    const plan = await planRow({ db: trx, merchantId: ctx.merchantId }, seat.plan_id);
    const period = plan.period_days * DAY_MS;
    const current = await membershipOf({ db: trx, merchantId: ctx.merchantId }, seat.account_id, seat.openid);
    let expiresAt: number;
    let id: string;
    if (current) {
      const live = isActive(current, ctx.now);
      expiresAt = (live ? current.expires_at : ctx.now) + period;
      id = current.id;
      await trx
        .updateTable('community_memberships')
        .set({
          status: 'active',
          plan_id: plan.id,
          started_at: live ? current.started_at : ctx.now,
          expires_at: expiresAt,
          ended_at: null,
          last_order_id: orderId,
          updated_at: ctx.now,
        })
        .where('id', '=', current.id)
        .execute();
    } else {
      id = newId('mbr', ctx.now);
      expiresAt = ctx.now + period;
      await trx
        .insertInto('community_memberships')
        .values({
          id,
          merchant_id: ctx.merchantId,
          account_id: seat.account_id,
          openid: seat.openid,
          plan_id: plan.id,
          status: 'active',
          started_at: ctx.now,
          expires_at: expiresAt,
          ended_at: null,
          last_order_id: orderId,
          created_at: ctx.now,
          updated_at: ctx.now,
        })
        .execute();
    }
    await enqueueJob(
      trx,
      {
        type: RENEWAL_JOB,
        merchantId: ctx.merchantId,
        key: `${id}:${expiresAt}`,
        payload: { membershipId: id, expiresAt },
        runAt: Math.max(ctx.now, expiresAt - REMIND_BEFORE_MS),
      },
      ctx.now,
    );
    return true;
  });
}

async function releaseSeat(trx: Ctx['db'], seat: { plan_id: string; round_start: number; counted: number }) {
  if (seat.counted !== 1) return;
  await trx
    .updateTable('community_plan_rounds')
    .set((eb) => ({ seats_taken: eb('seats_taken', '-', 1) }))
    .where('plan_id', '=', seat.plan_id)
    .where('round_start', '=', seat.round_start)
    .where('seats_taken', '>', 0)
    .execute();
}

/** order.cancelled: an unpaid order's seat goes back to the round. */
export async function releaseForCancelled(ctx: Ctx, orderId: string): Promise<boolean> {
  return inTransaction(ctx.db, async (trx) => {
    const seat = await moveSeat({ ...ctx, db: trx }, orderId, 'released', (s) => s.status === 'held');
    if (!seat) return false;
    await releaseSeat(trx, seat);
    return true;
  });
}

/**
 * order.refunded: the period that order bought is taken back; with nothing left the membership
 * ends now. The seat returns to its round.
 */
export async function endForRefund(ctx: Ctx, orderId: string): Promise<boolean> {
  return inTransaction(ctx.db, async (trx) => {
    // A refund can be heard before the payment's activation ran: the held seat is released too,
    // and activation then finds nothing to do.
    const seat = await moveSeat({ ...ctx, db: trx }, orderId, 'released', (s) => s.status !== 'released');
    if (!seat) return false;
    await releaseSeat(trx, seat);
    if (seat.status !== 'paid') return true;
    const plan = await planRow({ db: trx, merchantId: ctx.merchantId }, seat.plan_id);
    const current = await membershipOf({ db: trx, merchantId: ctx.merchantId }, seat.account_id, seat.openid);
    if (current?.status !== 'active') return true;
    const left = current.expires_at - plan.period_days * DAY_MS;
    const ended = left <= ctx.now;
    await trx
      .updateTable('community_memberships')
      .set({
        status: ended ? 'ended' : 'active',
        expires_at: ended ? ctx.now : left,
        ended_at: ended ? ctx.now : null,
        updated_at: ctx.now,
      })
      .where('id', '=', current.id)
      .execute();
    return true;
  });
}

/** The console's membership list, newest first. */
export async function listMemberships(ctx: Ctx, filter: { plan_id?: string; status?: 'active' | 'ended' }) {
  requireRole(ctx, 'operator', 'agent');
  let query = ctx.db
    .selectFrom('community_memberships')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId);
  if (filter.plan_id) query = query.where('plan_id', '=', filter.plan_id);
  if (filter.status === 'active')
    query = query.where('status', '=', 'active').where('expires_at', '>', ctx.now);
  if (filter.status === 'ended')
    query = query.where((eb) => eb.or([eb('status', '=', 'ended'), eb('expires_at', '<=', ctx.now)]));
  const rows = await query.orderBy('id', 'desc').limit(500).execute();
  return rows.map((m) => ({ ...m, active: isActive(m, ctx.now) }));
}

/** A plan's sales: seats per round and orders by state. */
export async function planSales(ctx: Ctx, planId: string) {
  requireRole(ctx, 'operator', 'agent');
  const plan = await planRow(ctx, planId);
  const rounds = await ctx.db
    .selectFrom('community_plan_rounds')
    .select(['round_start', 'seats_taken'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('plan_id', '=', plan.id)
    .orderBy('round_start', 'desc')
    .limit(20)
    .execute();
  const seats = await ctx.db
    .selectFrom('community_seats')
    .select(['order_id', 'round_start', 'account_id', 'openid', 'status', 'counted', 'amount', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('plan_id', '=', plan.id)
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
  const paidSeats = seats.filter((s) => s.status === 'paid');
  const paid = paidSeats.length;
  return {
    plan_id: plan.id,
    seat_cap: plan.seat_cap,
    rounds: rounds.map((r) => ({ round_start: Number(r.round_start), seats_taken: Number(r.seats_taken) })),
    paid,
    revenue: paidSeats.reduce((sum, s) => sum + Number(s.amount), 0),
    seats: seats.map((s) => ({
      ...s,
      round_start: Number(s.round_start),
      amount: Number(s.amount),
      renewal: s.counted !== 1,
    })),
  };
}

/** For the audit trail of who acted: the console user or token. */
export const who = (ctx: Ctx) => actorLabel(ctx.actor);

export function requireMember(
  m: CommunityMembershipsTable | null,
  now: number,
): asserts m is CommunityMembershipsTable {
  if (!isActive(m, now))
    throw new AppError(403, 'members_only', { zh: '仅限付费会员', en: 'For paid members only' });
}

/**
 * Moves an order's seat to `to` when `may` allows it, guarded on the status it was read with so
 * two handlers of the same order never both move it. Returns the seat as it was, or null.
 */
async function moveSeat(
  ctx: Ctx,
  orderId: string,
  to: CommunitySeatsTable['status'],
  may: (seat: CommunitySeatsTable) => boolean,
): Promise<CommunitySeatsTable | null> {
  const seat = await ctx.db
    .selectFrom('community_seats')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (!seat || !may(seat)) return null;
  const moved = await ctx.db
    .updateTable('community_seats')
    .set({ status: to, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('order_id', '=', orderId)
    .where('status', '=', seat.status)
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) === 0 ? null : seat;
}
