import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
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

/** The operator (console user or API token) a care list belongs to. */
function ownerOf(ctx: Ctx): string {
  if (ctx.actor.kind === 'user') return ctx.actor.userId;
  if (ctx.actor.kind === 'token') return ctx.actor.tokenId;
  throw badRequest('operator_required', '关怀名单属于具体的运营人员', 'A care list belongs to a person');
}

/** Candidates to greet today, in order of reason, none already on anyone's list today. */
async function candidates(ctx: Ctx, taken: Set<string>, want: number): Promise<Map<string, CareReason>> {
  const day = localDay(ctx.now);
  const picked = new Map<string, CareReason>();
  const take = (ids: string[], reason: CareReason) => {
    for (const id of ids) if (picked.size < want && !taken.has(id) && !picked.has(id)) picked.set(id, reason);
  };
  const live = () =>
    ctx.db
      .selectFrom('crm_members')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('merged_into', 'is', null);
  const room = want + taken.size;
  take(
    (await live().where(sql`substr(birthday, 6, 5)`, '=', day.slice(5)).limit(room).execute()).map(
      (r) => r.id,
    ),
    'birthday',
  );
  if (picked.size < want) {
    const orders = await listOrders(ctx, { status: 'pending_payment', limit: 100 });
    const ids: string[] = [];
    for (const order of orders.items.filter((o) => o.created_at >= ctx.now - DAY)) {
      const member = await memberOfFan(ctx, order.account_id, order.openid);
      if (member) ids.push(member);
    }
    take(ids, 'unpaid');
  }
  if (picked.size < want) {
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
  if (picked.size < want) {
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
  return picked;
}

/**
 * The calling operator's members to greet today: a bounded list each operator owns (two
 * operators never get the same member on one day), filled once a day up to `limit` from
 * birthdays, unpaid orders from the last day, repurchase due and buyers gone silent, each with a
 * suggested message. Greeted members drop off; the list is not refilled the same day.
 */
export async function careList(ctx: Ctx, limit = DEFAULT_CARE_LIMIT) {
  requireRole(ctx, 'operator', 'agent');
  const owner = ownerOf(ctx);
  const day = localDay(ctx.now);
  const today = () =>
    ctx.db
      .selectFrom('crm_care_items')
      .select(['member_id', 'owner', 'reason', 'done_at'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('day', '=', day);
  let mine = await today().where('owner', '=', owner).execute();
  if (mine.length < limit) {
    const taken = new Set((await today().execute()).map((r) => r.member_id));
    const picked = await candidates(ctx, taken, limit - mine.length);
    if (picked.size > 0) {
      // The primary key (merchant, day, member) lets only one operator claim a member.
      await ctx.db
        .insertInto('crm_care_items')
        .values(
          [...picked].map(([member_id, reason]) => ({
            merchant_id: ctx.merchantId,
            day,
            member_id,
            owner,
            reason,
            done_at: null,
            created_at: ctx.now,
          })),
        )
        .onConflict((oc) => oc.columns(['merchant_id', 'day', 'member_id']).doNothing())
        .execute();
      mine = await today().where('owner', '=', owner).execute();
    }
  }
  const open = mine.filter((m) => m.done_at === null);
  const rows = open.length
    ? await ctx.db
        .selectFrom('crm_members')
        .selectAll()
        .where('merchant_id', '=', ctx.merchantId)
        .where(
          'id',
          'in',
          open.map((m) => m.member_id),
        )
        .execute()
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    day,
    limit,
    done: mine.length - open.length,
    items: open.flatMap((item) => {
      const row = byId.get(item.member_id);
      if (!row) return [];
      const member = view(row) as Omit<MemberView, 'identities' | 'tags'>;
      const reason = item.reason as CareReason;
      const name = member.name ?? '亲';
      return [{ member, reason, suggestion: SUGGESTIONS[reason].replace('{{name}}', name) }];
    }),
  };
}

/** Marks a member on the caller's list greeted today: off the list. */
export async function markCared(ctx: Ctx, memberId: string, _reason?: string) {
  requireRole(ctx, 'operator', 'agent');
  await getMember(ctx, memberId);
  const result = await ctx.db
    .updateTable('crm_care_items')
    .set({ done_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('day', '=', localDay(ctx.now))
    .where('member_id', '=', memberId)
    .where('owner', '=', ownerOf(ctx))
    .where('done_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0)
    throw notFound({ zh: '今日关怀名单中的会员', en: "Member on today's care list" });
}
