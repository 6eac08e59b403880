import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found, type Page } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { queueSegmentAutotag } from './autotag.service.ts';
import { type MemberView, tagsOf, view } from './members.service.ts';
import { compileRules, type RuleGroup, ruleFilter, tagsNamed } from './segment-rules.ts';
import { getTag } from './tags.service.ts';

const SEGMENT = { zh: '分群', en: 'Segment' };

export interface SegmentView {
  id: string;
  name: string;
  rules: RuleGroup;
  auto_tag_id: string | null;
  created_at: number;
  updated_at: number;
}

async function members(ctx: Ctx, rules?: RuleGroup) {
  let query = ctx.db
    .selectFrom('crm_members')
    .where('crm_members.merchant_id', '=', ctx.merchantId)
    .where('crm_members.merged_into', 'is', null);
  if (rules) query = query.where(await ruleFilter(ctx, rules));
  return query;
}

/** How many members match right now (the builder's live count). */
export async function countMembers(ctx: Ctx, rules: RuleGroup): Promise<number> {
  requireRole(ctx, 'operator', 'agent');
  const row = await (await members(ctx, rules))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface MemberFilter {
  rules?: RuleGroup;
  segment_id?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** Members newest first, filtered by a rule tree or a saved segment; tags loaded for the page only. */
export async function listMembers(
  ctx: Ctx,
  filter: MemberFilter,
): Promise<Page<Omit<MemberView, 'identities'>>> {
  requireRole(ctx, 'operator', 'agent');
  const rules = filter.segment_id ? (await getSegment(ctx, filter.segment_id)).rules : filter.rules;
  let query = (await members(ctx, rules)).selectAll('crm_members');
  if (filter.q) {
    const q = `%${filter.q.replace(/[%_\\]/g, '')}%`;
    query = query.where((eb) =>
      eb.or([eb('crm_members.name', 'like', q), eb('crm_members.phone', 'like', q)]),
    );
  }
  if (filter.cursor) query = query.where('crm_members.id', '<', filter.cursor);
  const rows = await query
    .orderBy('crm_members.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const tags = await tagsOf(
    ctx,
    page.map((r) => r.id),
  );
  return {
    items: page.map((row) => ({ ...view(row), tags: tags.get(row.id) ?? [] })),
    next_cursor: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

function segmentView(row: {
  id: string;
  name: string;
  rules: string;
  auto_tag_id: string | null;
  created_at: number;
  updated_at: number;
}) {
  return { ...row, rules: JSON.parse(row.rules) as RuleGroup };
}

export async function listSegments(ctx: Ctx): Promise<SegmentView[]> {
  requireRole(ctx, 'operator', 'agent');
  const rows = await ctx.db
    .selectFrom('crm_segments')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
  return rows.map(segmentView);
}

export async function getSegment(ctx: Ctx, id: string): Promise<SegmentView> {
  const row = found(
    await ctx.db
      .selectFrom('crm_segments')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    SEGMENT,
  );
  return segmentView(row);
}

export interface SegmentInput {
  name: string;
  rules: RuleGroup;
  /** A tag the segment keeps on exactly its members; null stops (members keep the tag). */
  auto_tag_id?: string | null;
}

async function checkAutoTag(ctx: Ctx, input: SegmentInput, id?: string) {
  if (!input.auto_tag_id) return;
  await getTag(ctx, input.auto_tag_id);
  if (tagsNamed(input.rules).includes(input.auto_tag_id))
    throw badRequest(
      'autotag_loop',
      '自动标签不能出现在本分群的条件里',
      'A segment cannot tag its members with a tag its own rules test',
    );
  const taken = await ctx.db
    .selectFrom('crm_segments')
    .select('id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('auto_tag_id', '=', input.auto_tag_id)
    .where('id', '!=', id ?? '')
    .executeTakeFirst();
  if (taken)
    throw conflict('autotag_taken', '该标签已由另一个分群自动维护', 'Another segment already keeps this tag');
}

export async function saveSegment(ctx: Ctx, input: SegmentInput, id?: string) {
  requireRole(ctx, 'operator');
  // Compiling refuses an invalid tree before it is stored.
  compileRules(ctx.dialect, input.rules, ctx.now, ctx.merchantId);
  await checkAutoTag(ctx, input, id);
  const rules = JSON.stringify(input.rules);
  if (id) {
    const before = await getSegment(ctx, id);
    const autoTag = input.auto_tag_id === undefined ? before.auto_tag_id : input.auto_tag_id;
    await inTransaction(ctx.db, async (trx) => {
      await trx
        .updateTable('crm_segments')
        .set({ name: input.name, rules, auto_tag_id: autoTag, updated_at: ctx.now })
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', id)
        .execute();
      const changed = autoTag !== before.auto_tag_id || rules !== JSON.stringify(before.rules);
      if (autoTag && changed) await queueSegmentAutotag({ ...ctx, db: trx }, id);
    });
    ctx.deps.wakeJobs();
    return getSegment(ctx, id);
  }
  const row = {
    id: newId('seg', ctx.now),
    merchant_id: ctx.merchantId,
    name: input.name,
    rules,
    auto_tag_id: input.auto_tag_id ?? null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await inTransaction(ctx.db, async (trx) => {
    await trx.insertInto('crm_segments').values(row).execute();
    if (row.auto_tag_id) await queueSegmentAutotag({ ...ctx, db: trx }, row.id);
  });
  ctx.deps.wakeJobs();
  return segmentView(row);
}

export async function deleteSegment(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  await getSegment(ctx, id);
  await ctx.db
    .deleteFrom('crm_segments')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
}

/**
 * Freezes a segment's members as of now, in one INSERT … SELECT (never through memory): a
 * broadcast sends to exactly this list however members change meanwhile.
 */
export async function snapshotSegment(ctx: Ctx, segmentId: string) {
  requireRole(ctx, 'operator');
  const segment = await getSegment(ctx, segmentId);
  return snapshotRules(ctx, segment.rules, segmentId);
}

/**
 * The same freeze for an ad-hoc rule tree (a broadcast to one tag, or to every member when the
 * operator chose that explicitly); `label` says what it was, e.g. `tag:<id>` or `all`.
 */
export async function snapshotRules(ctx: Ctx, rules: RuleGroup | null, label: string) {
  requireRole(ctx, 'operator');
  const id = newId('snap', ctx.now);
  return inTransaction(ctx.db, async (trx) => {
    await trx
      .insertInto('crm_snapshots')
      .values({ id, merchant_id: ctx.merchantId, segment_id: label, members: 0, created_at: ctx.now })
      .execute();
    const picked = (await members({ ...ctx, db: trx }, rules ?? undefined)).select([
      sql.lit(id).as('snapshot_id'),
      'crm_members.id as member_id',
    ]);
    await trx
      .insertInto('crm_snapshot_members')
      .columns(['snapshot_id', 'member_id'])
      .expression(picked)
      .execute();
    const { n } = await trx
      .selectFrom('crm_snapshot_members')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('snapshot_id', '=', id)
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('crm_snapshots')
      .set({ members: Number(n) })
      .where('id', '=', id)
      .execute();
    return { id, segment_id: label, members: Number(n), created_at: ctx.now };
  });
}

/**
 * A snapshot's members with their openids per account, paged by member id: what a broadcast
 * iterates over. Members merged since the snapshot resolve to their survivor's openids.
 */
export async function snapshotAudience(
  ctx: Ctx,
  snapshotId: string,
  page: { limit: number; after?: string },
) {
  found(
    await ctx.db
      .selectFrom('crm_snapshots')
      .select('id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', snapshotId)
      .executeTakeFirst(),
    { zh: '快照', en: 'Snapshot' },
  );
  let query = ctx.db
    .selectFrom('crm_snapshot_members')
    .select('member_id')
    .where('snapshot_id', '=', snapshotId);
  if (page.after) query = query.where('member_id', '>', page.after);
  const ids = (await query.orderBy('member_id').limit(page.limit).execute()).map((r) => r.member_id);
  const openids = ids.length
    ? await ctx.db
        .selectFrom('crm_identities')
        .select(['member_id', 'value'])
        .where('merchant_id', '=', ctx.merchantId)
        .where('kind', '=', 'openid')
        .where('member_id', 'in', ids)
        .execute()
    : [];
  // Grouped once: a page of thousands of members must not scan every openid per member.
  const byMember = new Map<string, Array<{ account_id: string; openid: string }>>();
  for (const o of openids) {
    const at = o.value.indexOf(':');
    const list = byMember.get(o.member_id) ?? [];
    list.push({ account_id: o.value.slice(0, at), openid: o.value.slice(at + 1) });
    byMember.set(o.member_id, list);
  }
  return {
    members: ids.map((id) => ({ member_id: id, openids: byMember.get(id) ?? [] })),
    next: ids.length === page.limit ? (ids.at(-1) ?? null) : null,
  };
}
