import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CrmMembersTable } from './crm.schema.ts';
import { addEvent, MEMBER } from './member-events.ts';

/** Profile fields the survivor takes from the merged record when it has none of its own. */
const FILLABLE = ['name', 'phone', 'region', 'gender', 'birthday', 'unionid', 'source_qrcode_id'] as const;

interface Moved {
  identities: Array<{ kind: string; value: string }>;
  tags: string[];
  /** Tags the survivor did not have before: removed from it on undo. */
  addedTags: string[];
  orders: string[];
  /** The survivor's fields before the merge filled them. */
  before: Partial<Pick<CrmMembersTable, (typeof FILLABLE)[number] | 'attrs'>>;
}

async function liveMember(ctx: Ctx, id: string): Promise<CrmMembersTable> {
  // Touching the row first takes its write lock on PostgreSQL: two merges of the same person queue.
  await ctx.db.updateTable('crm_members').set({ updated_at: ctx.now }).where('id', '=', id).execute();
  return found(
    await ctx.db
      .selectFrom('crm_members')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .where('merged_into', 'is', null)
      .executeTakeFirst(),
    MEMBER,
  );
}

/** Recomputes the order figures of a member from the orders CRM keeps for it. */
export async function recomputeOrderFigures(ctx: Ctx, memberId: string): Promise<void> {
  const figures = await ctx.db
    .selectFrom('crm_member_orders')
    .select((eb) => [
      eb.fn.countAll<number>().as('orders'),
      sql<number>`coalesce(sum(total - refunded), 0)`.as('spend'),
      eb.fn.max('paid_at').as('last'),
    ])
    .where('member_id', '=', memberId)
    .executeTakeFirstOrThrow();
  await ctx.db
    .updateTable('crm_members')
    .set({
      order_count: Number(figures.orders),
      spend: Number(figures.spend),
      last_order_at: figures.last === null ? null : Number(figures.last),
    })
    .where('id', '=', memberId)
    .execute();
}

/**
 * Folds `fromId` into `intoId`: identities, tags and orders move, empty profile fields are
 * filled, and the merge is logged with what moved so `undoMerge` can put it back.
 */
export async function mergeMembers(ctx: Ctx, fromId: string, intoId: string, reason: string) {
  if (fromId === intoId)
    throw badRequest('merge_self', '不能与自己合并', 'Cannot merge a member into itself');
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    // Lock in id order so two opposite merges cannot deadlock.
    const [first, second] = [fromId, intoId].sort();
    const locked = new Map<string, CrmMembersTable>();
    locked.set(first!, await liveMember(tx, first!));
    locked.set(second!, await liveMember(tx, second!));
    const from = locked.get(fromId)!;
    const into = locked.get(intoId)!;

    const identities = await trx
      .selectFrom('crm_identities')
      .select(['kind', 'value'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('member_id', '=', fromId)
      .execute();
    await trx
      .updateTable('crm_identities')
      .set({ member_id: intoId })
      .where('merchant_id', '=', ctx.merchantId)
      .where('member_id', '=', fromId)
      .execute();

    const tagRows = await trx
      .selectFrom('crm_member_tags')
      .select('tag_id')
      .where('member_id', '=', fromId)
      .execute();
    const had = new Set(
      (
        await trx.selectFrom('crm_member_tags').select('tag_id').where('member_id', '=', intoId).execute()
      ).map((r) => r.tag_id),
    );
    const tags = tagRows.map((r) => r.tag_id);
    const addedTags = tags.filter((t) => !had.has(t));
    if (addedTags.length > 0) {
      await trx
        .insertInto('crm_member_tags')
        .values(
          addedTags.map((tag_id) => ({
            merchant_id: ctx.merchantId,
            member_id: intoId,
            tag_id,
            synced: 0,
            created_at: ctx.now,
          })),
        )
        .execute();
    }
    await trx.deleteFrom('crm_member_tags').where('member_id', '=', fromId).execute();

    const orders = (
      await trx.selectFrom('crm_member_orders').select('order_id').where('member_id', '=', fromId).execute()
    ).map((r) => r.order_id);
    await trx
      .updateTable('crm_member_orders')
      .set({ member_id: intoId })
      .where('member_id', '=', fromId)
      .execute();

    const before: Moved['before'] = { attrs: into.attrs };
    const fill: Partial<CrmMembersTable> = {};
    for (const field of FILLABLE) {
      if (into[field] === null && from[field] !== null) {
        (before as Record<string, unknown>)[field] = null;
        (fill as Record<string, unknown>)[field] = from[field];
      }
    }
    const attrs = { ...(JSON.parse(from.attrs) as object), ...(JSON.parse(into.attrs) as object) };
    await trx
      .updateTable('crm_members')
      .set({
        ...fill,
        attrs: JSON.stringify(attrs),
        first_contact_at: minOf(into.first_contact_at, from.first_contact_at),
        last_contact_at: maxOf(into.last_contact_at, from.last_contact_at),
        updated_at: ctx.now,
      })
      .where('id', '=', intoId)
      .execute();
    await trx.updateTable('crm_members').set({ merged_into: intoId }).where('id', '=', fromId).execute();
    await recomputeOrderFigures(tx, intoId);

    const moved: Moved = { identities, tags, addedTags, orders, before };
    const id = newId('mrg', ctx.now);
    await trx
      .insertInto('crm_merges')
      .values({
        id,
        merchant_id: ctx.merchantId,
        from_member_id: fromId,
        into_member_id: intoId,
        reason,
        moved: JSON.stringify(moved),
        actor: actorLabel(ctx.actor),
        created_at: ctx.now,
        undone_at: null,
      })
      .execute();
    await addEvent(tx, intoId, 'merged', { merge_id: id, from: fromId, reason });
    return { id, from_member_id: fromId, into_member_id: intoId, reason };
  });
}

const minOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** An operator's explicit merge. */
export async function mergeByHand(ctx: Ctx, fromId: string, intoId: string) {
  requireRole(ctx, 'operator');
  return mergeMembers(ctx, fromId, intoId, 'manual');
}

/** Puts a merge back: the merged record returns with what it brought. Only the latest merge into a member. */
export async function undoMerge(ctx: Ctx, mergeId: string) {
  requireRole(ctx, 'operator');
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const merge = found(
      await trx
        .selectFrom('crm_merges')
        .selectAll()
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', mergeId)
        .executeTakeFirst(),
      { zh: '合并记录', en: 'Merge' },
    );
    if (merge.undone_at !== null)
      throw conflict('merge_undone', '该合并已撤销', 'This merge was already undone');
    const later = await trx
      .selectFrom('crm_merges')
      .select('id')
      .where('into_member_id', '=', merge.into_member_id)
      .where('undone_at', 'is', null)
      .where('id', '>', merge.id)
      .executeTakeFirst();
    if (later) throw conflict('merge_not_latest', '请先撤销之后的合并', 'Undo the later merges first');
    await liveMember(tx, merge.into_member_id);
    const moved = JSON.parse(merge.moved) as Moved;
    const from = merge.from_member_id;
    const into = merge.into_member_id;
    for (const identity of moved.identities) {
      await trx
        .updateTable('crm_identities')
        .set({ member_id: from })
        .where('merchant_id', '=', ctx.merchantId)
        .where('kind', '=', identity.kind)
        .where('value', '=', identity.value)
        .where('member_id', '=', into)
        .execute();
    }
    if (moved.addedTags.length > 0)
      await trx
        .deleteFrom('crm_member_tags')
        .where('member_id', '=', into)
        .where('tag_id', 'in', moved.addedTags)
        .execute();
    if (moved.tags.length > 0) {
      await trx
        .insertInto('crm_member_tags')
        .values(
          moved.tags.map((tag_id) => ({
            merchant_id: ctx.merchantId,
            member_id: from,
            tag_id,
            synced: 0,
            created_at: ctx.now,
          })),
        )
        .onConflict((oc) => oc.columns(['member_id', 'tag_id']).doNothing())
        .execute();
    }
    if (moved.orders.length > 0)
      await trx
        .updateTable('crm_member_orders')
        .set({ member_id: from })
        .where('order_id', 'in', moved.orders)
        .execute();
    await trx
      .updateTable('crm_members')
      .set({ ...moved.before, updated_at: ctx.now })
      .where('id', '=', into)
      .execute();
    await trx
      .updateTable('crm_members')
      .set({ merged_into: null, updated_at: ctx.now })
      .where('id', '=', from)
      .execute();
    // A phone that made the merge stays with the member who held it first: undoing says these
    // are two people, so the other record no longer shows that phone.
    await trx
      .updateTable('crm_members')
      .set({ phone: null })
      .where('id', '=', from)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('crm_identities')
              .select('member_id')
              .where('crm_identities.merchant_id', '=', ctx.merchantId)
              .where('crm_identities.kind', '=', 'phone')
              .whereRef('crm_identities.value', '=', 'crm_members.phone')
              .where('crm_identities.member_id', '=', from),
          ),
        ),
      )
      .execute();
    await recomputeOrderFigures(tx, into);
    await recomputeOrderFigures(tx, from);
    await trx.updateTable('crm_merges').set({ undone_at: ctx.now }).where('id', '=', merge.id).execute();
    await addEvent(tx, into, 'unmerged', { merge_id: merge.id, from });
    return { id: merge.id, from_member_id: from, into_member_id: into };
  });
}

/** Merges into a member, newest first (for the profile page's "undo"). */
export async function mergesInto(ctx: Ctx, memberId: string) {
  return ctx.db
    .selectFrom('crm_merges')
    .select(['id', 'from_member_id', 'into_member_id', 'reason', 'actor', 'created_at', 'undone_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('into_member_id', '=', memberId)
    .orderBy('id', 'desc')
    .limit(50)
    .execute();
}

/** A member and those merged into it (transitively): whose events make its timeline. */
export async function mergedFamily(ctx: Ctx, memberId: string): Promise<string[]> {
  const family = [memberId];
  for (let i = 0; i < family.length && family.length < 200; i++) {
    const rows = await ctx.db
      .selectFrom('crm_members')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('merged_into', '=', family[i]!)
      .execute();
    family.push(...rows.map((r) => r.id));
  }
  return family;
}
