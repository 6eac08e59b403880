import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { listOrders } from '../orders/index.ts';
import { memberOfFan } from './identities.service.ts';
import { getMember, type MemberView, view } from './members.service.ts';

const DAY = 86_400_000;
/** Merchants' zone (Asia/Shanghai): "today" and birthdays are counted there. */
const ZONE_OFFSET_MS = 8 * 3_600_000;
/** Nancy's habit: greet about ten customers a day. */
export const DEFAULT_CARE_LIMIT = 10;
const SILENT_DAYS = 30;
const REPURCHASE_DAYS = 30;

export type CareReason = 'birthday' | 'unpaid' | 'repurchase' | 'silent';

const SUGGESTIONS: Record<CareReason, string> = {
  birthday: '{{name}}，生日快乐！送您一张生日专属优惠券，祝您天天开心～',
  unpaid: '{{name}}，您昨天看中的宝贝还在购物车里等您，需要帮忙吗？',
  repurchase: '{{name}}，上次买的快用完了吧？这周老客户回购有专属价哦～',
  silent: '{{name}}，好久不见！最近店里上了新品，给您留了一份小惊喜～',
};

const localDay = (ms: number) => new Date(ms + ZONE_OFFSET_MS).toISOString().slice(0, 10);

/**
 * Today's members to greet, bounded: birthdays, unpaid orders from the last day, repurchase due
 * (last purchase a cycle ago), and buyers gone silent — each with a suggested message. Members
 * marked done today drop off.
 */
export async function careList(ctx: Ctx, limit = DEFAULT_CARE_LIMIT) {
  requireRole(ctx, 'operator', 'agent');
  const day = localDay(ctx.now);
  const done = new Set(
    (
      await ctx.db
        .selectFrom('crm_care_done')
        .select('member_id')
        .where('merchant_id', '=', ctx.merchantId)
        .where('day', '=', day)
        .execute()
    ).map((r) => r.member_id),
  );
  const picked = new Map<string, CareReason>();
  const take = (ids: string[], reason: CareReason) => {
    for (const id of ids) if (picked.size < limit && !done.has(id) && !picked.has(id)) picked.set(id, reason);
  };
  const live = () =>
    ctx.db
      .selectFrom('crm_members')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('merged_into', 'is', null);
  const room = limit + done.size;

  take(
    (await live().where(sql`substr(birthday, 6, 5)`, '=', day.slice(5)).limit(room).execute()).map(
      (r) => r.id,
    ),
    'birthday',
  );
  if (picked.size < limit) {
    const orders = await listOrders(ctx, { status: 'pending_payment', limit: 100 });
    const ids: string[] = [];
    for (const order of orders.items.filter((o) => o.created_at >= ctx.now - DAY)) {
      const member = await memberOfFan(ctx, order.account_id, order.openid);
      if (member) ids.push(member);
    }
    take(ids, 'unpaid');
  }
  if (picked.size < limit) {
    const due = await live()
      .where('last_order_at', '<', ctx.now - REPURCHASE_DAYS * DAY)
      .where('last_order_at', '>=', ctx.now - (REPURCHASE_DAYS + 7) * DAY)
      .orderBy('last_order_at')
      .limit(room)
      .execute();
    take(
      due.map((r) => r.id),
      'repurchase',
    );
  }
  if (picked.size < limit) {
    const silent = await live()
      .where('order_count', '>', 0)
      .where((eb) =>
        eb.or([eb('last_contact_at', 'is', null), eb('last_contact_at', '<', ctx.now - SILENT_DAYS * DAY)]),
      )
      .orderBy('spend', 'desc')
      .limit(room)
      .execute();
    take(
      silent.map((r) => r.id),
      'silent',
    );
  }
  const rows = picked.size
    ? await ctx.db
        .selectFrom('crm_members')
        .selectAll()
        .where('id', 'in', [...picked.keys()])
        .execute()
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    day,
    done: done.size,
    items: [...picked].flatMap(([id, reason]) => {
      const row = byId.get(id);
      if (!row) return [];
      const member = view(row) as Omit<MemberView, 'identities' | 'tags'>;
      const name = member.name ?? '亲';
      return [{ member, reason, suggestion: SUGGESTIONS[reason].replace('{{name}}', name) }];
    }),
  };
}

/** Marks a member greeted today: off today's list. */
export async function markCared(ctx: Ctx, memberId: string, reason: string) {
  requireRole(ctx, 'operator', 'agent');
  await getMember(ctx, memberId);
  await ctx.db
    .insertInto('crm_care_done')
    .values({
      merchant_id: ctx.merchantId,
      member_id: memberId,
      day: localDay(ctx.now),
      reason: reason.slice(0, 32),
      done_by: actorLabel(ctx.actor),
      done_at: ctx.now,
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'member_id', 'day']).doNothing())
    .execute();
}
