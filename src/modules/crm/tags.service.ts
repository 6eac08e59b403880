import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { queueAutotag } from './autotag.service.ts';
import { addEvent } from './member-events.ts';

import {
  TAG_PULL_JOB,
  TAG_REMOTE_JOB,
  TAG_SYNC_JOB,
  TAG_UNSYNC_JOB,
  WECHAT_TAGS_PER_ACCOUNT,
  WECHAT_TAGS_PER_FAN,
} from './tag-limits.ts';

export { TAG_SYNC_JOB, TAG_UNSYNC_JOB, WECHAT_TAGS_PER_ACCOUNT, WECHAT_TAGS_PER_FAN };
/** Largest bulk change in one request; larger audiences go through segments and import. */
export const MAX_BULK = 1000;

const TAG = { zh: '标签', en: 'Tag' };

export interface TagView {
  id: string;
  name: string;
  sync: boolean;
  members: number;
  /** Per account: WeChat's tag id and the mirror's state. */
  wechat: Array<{ account_id: string; wechat_tag_id: number | null; state: string; error: string | null }>;
  pending: number;
  created_at: number;
}

export async function listTags(ctx: Ctx): Promise<TagView[]> {
  requireRole(ctx, 'operator', 'agent');
  const tags = await ctx.db
    .selectFrom('crm_tags')
    .selectAll('crm_tags')
    .select((eb) => [
      eb
        .selectFrom('crm_member_tags')
        .select((s) => s.fn.countAll<number>().as('n'))
        .whereRef('crm_member_tags.tag_id', '=', 'crm_tags.id')
        .as('members'),
      eb
        .selectFrom('crm_member_tags')
        .select((s) => s.fn.countAll<number>().as('n'))
        .whereRef('crm_member_tags.tag_id', '=', 'crm_tags.id')
        .where('crm_member_tags.synced', '=', 0)
        .as('pending'),
    ])
    .where('crm_tags.merchant_id', '=', ctx.merchantId)
    .orderBy('crm_tags.name')
    .execute();
  const sync = await ctx.db
    .selectFrom('crm_tag_sync')
    .select(['tag_id', 'account_id', 'wechat_tag_id', 'state', 'error'])
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
  return tags.map((t) => ({
    id: t.id,
    name: t.name,
    sync: t.sync === 1,
    members: Number(t.members ?? 0),
    pending: t.sync === 1 ? Number(t.pending ?? 0) : 0,
    wechat: sync.filter((s) => s.tag_id === t.id).map(({ tag_id: _t, ...rest }) => rest),
    created_at: t.created_at,
  }));
}

export async function getTag(ctx: Ctx, id: string) {
  return found(
    await ctx.db
      .selectFrom('crm_tags')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    TAG,
  );
}

/** A tag; mirrored to WeChat on every account unless `sync` is false (WeChat allows 100 per account). */
export async function createTag(ctx: Ctx, input: { name: string; sync?: boolean }): Promise<TagView> {
  requireRole(ctx, 'operator');
  const name = input.name.trim();
  if (!name || Buffer.byteLength(name) > 30)
    throw badRequest('invalid_tag_name', '标签名为 1–30 字节', 'Tag names are 1–30 bytes');
  const sync = input.sync !== false;
  const id = newId('tag', ctx.now);
  await inTransaction(ctx.db, async (trx) => {
    if (sync) {
      const { n } = await trx
        .selectFrom('crm_tags')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('merchant_id', '=', ctx.merchantId)
        .where('sync', '=', 1)
        .executeTakeFirstOrThrow();
      if (Number(n) >= WECHAT_TAGS_PER_ACCOUNT)
        throw conflict(
          'wechat_tag_limit',
          `微信每个公众号最多 ${WECHAT_TAGS_PER_ACCOUNT} 个标签，请创建为仅本地标签`,
          `WeChat allows ${WECHAT_TAGS_PER_ACCOUNT} tags per account; create it as a local-only tag`,
        );
    }
    try {
      await trx
        .insertInto('crm_tags')
        .values({ id, merchant_id: ctx.merchantId, name, sync: sync ? 1 : 0, created_at: ctx.now })
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('tag_exists', '标签已存在', 'This tag already exists');
      throw error;
    }
    if (sync) await queueSync(trx, ctx, id);
  });
  ctx.deps.wakeJobs();
  return { id, name, sync, members: 0, pending: 0, wechat: [], created_at: ctx.now };
}

async function queueSync(db: Ctx['db'], ctx: Ctx, tagId: string) {
  // One pending sync per tag at a time; the job loops until nothing is left.
  await enqueueJob(
    db,
    { type: TAG_SYNC_JOB, key: `${tagId}:${ctx.now}`, merchantId: ctx.merchantId, payload: { tagId } },
    ctx.now,
  );
}

/** "account:wechatId" of a tag's WeChat twins, for a job that outlives the local row. */
async function twinsOf(ctx: Ctx, tagId: string): Promise<string> {
  const rows = await ctx.db
    .selectFrom('crm_tag_sync')
    .select(['account_id', 'wechat_tag_id'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('tag_id', '=', tagId)
    .where('wechat_tag_id', 'is not', null)
    .execute();
  return rows.map((r) => `${r.account_id}:${r.wechat_tag_id}`).join(',');
}

/** Deletes a tag here and (as a job) its twins in WeChat. */
export async function deleteTag(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  await getTag(ctx, id);
  await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const twins = await twinsOf(tx, id);
    await trx
      .updateTable('crm_segments')
      .set({ auto_tag_id: null })
      .where('merchant_id', '=', ctx.merchantId)
      .where('auto_tag_id', '=', id)
      .execute();
    await trx.deleteFrom('crm_tags').where('merchant_id', '=', ctx.merchantId).where('id', '=', id).execute();
    if (twins)
      await enqueueJob(
        trx,
        {
          type: TAG_REMOTE_JOB,
          key: `${id}:delete`,
          merchantId: ctx.merchantId,
          payload: { op: 'delete', twins },
        },
        ctx.now,
      );
  });
  ctx.deps.wakeJobs();
}

/** Renames a tag here and (as a job) its twins in WeChat. */
export async function renameTag(ctx: Ctx, id: string, rawName: string): Promise<TagView> {
  requireRole(ctx, 'operator');
  await getTag(ctx, id);
  const name = rawName.trim();
  if (!name || Buffer.byteLength(name) > 30)
    throw badRequest('invalid_tag_name', '标签名为 1–30 字节', 'Tag names are 1–30 bytes');
  await inTransaction(ctx.db, async (trx) => {
    try {
      await trx
        .updateTable('crm_tags')
        .set({ name })
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', id)
        .execute();
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict('tag_exists', '标签已存在', 'This tag already exists');
      throw error;
    }
    const twins = await twinsOf({ ...ctx, db: trx }, id);
    if (twins)
      await enqueueJob(
        trx,
        {
          type: TAG_REMOTE_JOB,
          key: `${id}:rename:${ctx.now}`,
          merchantId: ctx.merchantId,
          payload: { op: 'rename', name, twins },
        },
        ctx.now,
      );
  });
  ctx.deps.wakeJobs();
  return (await listTags(ctx)).find((t) => t.id === id)!;
}

/** Asks for a read of every account's tags and tagged fans from WeChat (a job). */
export async function requestTagPull(ctx: Ctx): Promise<{ queued: boolean }> {
  requireRole(ctx, 'operator');
  const queued = await enqueueJob(
    ctx.db,
    // One pull at a time per minute is plenty; a second click in the same minute is the same job.
    {
      type: TAG_PULL_JOB,
      key: `${ctx.merchantId}:${Math.floor(ctx.now / 60_000)}`,
      merchantId: ctx.merchantId,
    },
    ctx.now,
  );
  ctx.deps.wakeJobs();
  return { queued };
}

async function liveMemberIds(ctx: Ctx, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('crm_members')
    .select('id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('merged_into', 'is', null)
    .where('id', 'in', ids)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Tags members (bulk). A member already at WeChat's 20 synced tags is refused for a synced tag
 * and reported in `refused`; the row lock on the member makes concurrent taggings count right.
 */
export async function tagMembers(ctx: Ctx, tagId: string, memberIds: string[]) {
  requireRole(ctx, 'operator', 'agent');
  if (memberIds.length > MAX_BULK)
    throw badRequest('bulk_too_large', `一次最多 ${MAX_BULK} 人`, `At most ${MAX_BULK} members at once`);
  const tag = await getTag(ctx, tagId);
  const result = await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const ids = await liveMemberIds(tx, [...new Set(memberIds)].sort());
    if (ids.length !== new Set(memberIds).size) found(undefined, { zh: '会员', en: 'Member' });
    const added: string[] = [];
    const refused: string[] = [];
    for (const memberId of ids) {
      await trx.updateTable('crm_members').set({ updated_at: ctx.now }).where('id', '=', memberId).execute();
      if (tag.sync === 1) {
        const { n } = await trx
          .selectFrom('crm_member_tags')
          .innerJoin('crm_tags', 'crm_tags.id', 'crm_member_tags.tag_id')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('crm_member_tags.member_id', '=', memberId)
          .where('crm_tags.sync', '=', 1)
          .where('crm_tags.id', '!=', tagId)
          .executeTakeFirstOrThrow();
        if (Number(n) >= WECHAT_TAGS_PER_FAN) {
          refused.push(memberId);
          continue;
        }
      }
      const inserted = await trx
        .insertInto('crm_member_tags')
        .values({
          merchant_id: ctx.merchantId,
          member_id: memberId,
          tag_id: tagId,
          synced: 0,
          created_at: ctx.now,
        })
        .onConflict((oc) => oc.columns(['member_id', 'tag_id']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
        added.push(memberId);
        await addEvent(tx, memberId, 'tag_added', { tag_id: tagId, name: tag.name });
      }
    }
    if (added.length > 0 && tag.sync === 1) await queueSync(trx, ctx, tagId);
    await queueAutotag(tx, added);
    return { added: added.length, refused };
  });
  ctx.deps.wakeJobs();
  if (result.refused.length > 0 && memberIds.length === 1)
    throw conflict(
      'fan_tag_limit',
      `该会员已有 ${WECHAT_TAGS_PER_FAN} 个微信标签（微信上限）`,
      `This member already has ${WECHAT_TAGS_PER_FAN} WeChat tags (WeChat's limit)`,
    );
  return result;
}

export async function untagMembers(ctx: Ctx, tagId: string, memberIds: string[]) {
  requireRole(ctx, 'operator', 'agent');
  if (memberIds.length > MAX_BULK)
    throw badRequest('bulk_too_large', `一次最多 ${MAX_BULK} 人`, `At most ${MAX_BULK} members at once`);
  const tag = await getTag(ctx, tagId);
  const removed = await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const rows = await trx
      .deleteFrom('crm_member_tags')
      .where('merchant_id', '=', ctx.merchantId)
      .where('tag_id', '=', tagId)
      .where('member_id', 'in', memberIds.length ? memberIds : [''])
      .returning(['member_id', 'synced'])
      .execute();
    for (const row of rows)
      await addEvent(tx, row.member_id, 'tag_removed', { tag_id: tagId, name: tag.name });
    const synced = rows.filter((r) => r.synced === 1).map((r) => r.member_id);
    if (tag.sync === 1 && synced.length > 0) {
      await enqueueJob(
        trx,
        {
          type: TAG_UNSYNC_JOB,
          key: newId('uns', ctx.now),
          merchantId: ctx.merchantId,
          payload: { tagId, members: synced.join(',') },
        },
        ctx.now,
      );
    }
    await queueAutotag(
      tx,
      rows.map((r) => r.member_id),
    );
    return rows.length;
  });
  ctx.deps.wakeJobs();
  return { removed };
}
