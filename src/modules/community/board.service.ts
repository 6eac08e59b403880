import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { inTransaction, isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { AppError, badRequest, conflict, forbidden, TooManyRequests } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { CommunityPostsTable } from './community.schema.ts';
import { membershipOf, requireMember } from './membership.service.ts';
import { safeUrl } from './sanitize.ts';

export const POST = { zh: '帖子', en: 'Post' };
const DEFAULT_POSTS_PER_HOUR = 10;

export interface BoardSettings {
  sensitive_words: string[];
  posts_per_hour: number;
  renewal_template?: string | null;
}

export async function getSettings(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<BoardSettings> {
  const row = await ctx.db
    .selectFrom('community_settings')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  return row
    ? {
        sensitive_words: JSON.parse(row.sensitive_words) as string[],
        posts_per_hour: row.posts_per_hour,
        renewal_template: row.renewal_template,
      }
    : { sensitive_words: [], posts_per_hour: DEFAULT_POSTS_PER_HOUR, renewal_template: null };
}

export async function saveSettings(ctx: Ctx, input: BoardSettings): Promise<BoardSettings> {
  requireRole(ctx, 'operator');
  const words = [...new Set(input.sensitive_words.map((w) => w.trim().toLowerCase()).filter(Boolean))];
  const values = {
    sensitive_words: JSON.stringify(words),
    posts_per_hour: input.posts_per_hour,
    renewal_template: input.renewal_template?.trim() || null,
    updated_at: ctx.now,
  };
  await ctx.db
    .insertInto('community_settings')
    .values({ merchant_id: ctx.merchantId, ...values })
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet(values))
    .execute();
  return getSettings(ctx);
}

/** The first listed word the text contains (case and spaces ignored, so "敏 感" is still caught). */
export function sensitiveWordIn(text: string, words: readonly string[]): string | null {
  const flat = text.toLowerCase().replace(/[\s\u200b-\u200d\ufeff]/g, '');
  return words.find((w) => w && flat.includes(w.replace(/\s/g, ''))) ?? null;
}

function fanOf(ctx: Ctx) {
  if (ctx.actor.kind !== 'fan') throw forbidden();
  return { accountId: ctx.actor.accountId, openid: ctx.actor.openid };
}

async function activeBan(ctx: Ctx, accountId: string, openid: string) {
  const ban = await ctx.db
    .selectFrom('community_bans')
    .select(['until', 'reason'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
  return ban && (ban.until === null || ban.until > ctx.now) ? ban : null;
}

export interface PostInput {
  text: string;
  images?: string[];
  parent_id?: string | null;
}

/**
 * A paid member posts or replies. Banned fans, texts with a listed word and fans over the hourly
 * limit (a fixed window in the app's cache, shared by every process with Redis) are refused.
 */
export async function createPost(ctx: Ctx, input: PostInput): Promise<CommunityPostsTable> {
  const { accountId, openid } = fanOf(ctx);
  requireMember(await membershipOf(ctx, accountId, openid), ctx.now);
  if (await activeBan(ctx, accountId, openid))
    throw new AppError(403, 'banned', { zh: '您已被禁言', en: 'You are banned from the board' });
  const text = input.text.trim();
  if (!text) throw badRequest('empty_post', '请填写内容', 'Write something first');
  const images = (input.images ?? []).map((u) => safeUrl(u.trim()));
  if (images.some((u) => u === null || !/^https?:/i.test(u)))
    throw badRequest('invalid_image', '图片需为 http(s) 地址', 'Images must be http(s) URLs');
  const settings = await getSettings(ctx);
  if (sensitiveWordIn(text, settings.sensitive_words))
    throw badRequest(
      'sensitive_word',
      '内容包含不允许的词语，请修改后再发',
      'The text contains a word that is not allowed',
    );
  const windowMs = 3_600_000;
  const slot = Math.floor(ctx.now / windowMs);
  const count = await ctx.deps.cache.increment(
    `community:posts:${ctx.merchantId}:${accountId}:${openid}:${slot}`,
    windowMs,
  );
  if (count > settings.posts_per_hour) throw new TooManyRequests((slot + 1) * windowMs - ctx.now);
  return inTransaction(ctx.db, async (trx) => {
    if (input.parent_id) {
      const parent = await trx
        .selectFrom('community_posts')
        .select(['id', 'parent_id', 'status'])
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', input.parent_id)
        .executeTakeFirst();
      if (parent?.status !== 'visible' || parent.parent_id !== null)
        throw new AppError(404, 'not_found', { zh: '帖子不存在', en: 'Post not found' });
      await trx
        .updateTable('community_posts')
        .set((eb) => ({ reply_count: eb('reply_count', '+', 1) }))
        .where('id', '=', parent.id)
        .execute();
    }
    const row: CommunityPostsTable = {
      id: newId('pst', ctx.now),
      merchant_id: ctx.merchantId,
      account_id: accountId,
      openid,
      parent_id: input.parent_id ?? null,
      text,
      images: JSON.stringify(images),
      status: 'visible',
      pinned: 0,
      reply_count: 0,
      report_count: 0,
      created_at: ctx.now,
      updated_at: ctx.now,
    };
    await trx.insertInto('community_posts').values(row).execute();
    return row;
  });
}

const postView = (p: CommunityPostsTable) => ({
  ...p,
  images: JSON.parse(p.images) as string[],
  pinned: p.pinned === 1,
});
export type PostView = ReturnType<typeof postView>;

/** The board as members see it: visible top posts, pinned first, then newest, with their replies. */
export async function boardFor(ctx: Pick<Ctx, 'db' | 'merchantId'>, limit = 50) {
  const posts = await ctx.db
    .selectFrom('community_posts')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('parent_id', 'is', null)
    .where('status', '=', 'visible')
    .orderBy('pinned', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const ids = posts.map((p) => p.id);
  const replies =
    ids.length === 0
      ? []
      : await ctx.db
          .selectFrom('community_posts')
          .selectAll()
          .where('merchant_id', '=', ctx.merchantId)
          .where('parent_id', 'in', ids)
          .where('status', '=', 'visible')
          .orderBy('id')
          .limit(1000)
          .execute();
  return posts.map((p) => ({
    ...postView(p),
    replies: replies.filter((r) => r.parent_id === p.id).map(postView),
  }));
}

/** A member reports a post once; the post's count feeds the moderation queue. */
export async function reportPost(ctx: Ctx, postId: string, reason: string) {
  const { accountId, openid } = fanOf(ctx);
  requireMember(await membershipOf(ctx, accountId, openid), ctx.now);
  try {
    await inTransaction(ctx.db, async (trx) => {
      const post = await trx
        .selectFrom('community_posts')
        .select('id')
        .where('merchant_id', '=', ctx.merchantId)
        .where('id', '=', postId)
        .where('status', '=', 'visible')
        .executeTakeFirst();
      if (!post) throw new AppError(404, 'not_found', { zh: '帖子不存在', en: 'Post not found' });
      await trx
        .insertInto('community_reports')
        .values({
          id: newId('rpt', ctx.now),
          merchant_id: ctx.merchantId,
          post_id: postId,
          account_id: accountId,
          openid,
          reason: reason.trim().slice(0, 200),
          status: 'open',
          created_at: ctx.now,
          resolved_at: null,
        })
        .execute();
      await trx
        .updateTable('community_posts')
        .set((eb) => ({ report_count: eb('report_count', '+', 1) }))
        .where('id', '=', postId)
        .execute();
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw conflict('already_reported', '您已举报过该帖子', 'You already reported this post');
    throw error;
  }
  return { ok: true };
}

// ---- The console's side: moderation ----

export async function listPosts(
  ctx: Ctx,
  filter: { status?: 'visible' | 'hidden'; reported?: boolean; cursor?: string; limit: number },
) {
  requireRole(ctx, 'operator', 'agent');
  let query = ctx.db.selectFrom('community_posts').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.reported) query = query.where('report_count', '>', 0);
  if (filter.cursor) query = query.where('id', '<', filter.cursor);
  const rows = await query
    .orderBy('id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const items = rows.slice(0, filter.limit).map(postView);
  return { items, next_cursor: rows.length > filter.limit ? (items.at(-1)?.id ?? null) : null };
}

/** The queue: posts with open reports, most reported first, with the reasons. */
export async function moderationQueue(ctx: Ctx) {
  requireRole(ctx, 'operator', 'agent');
  const reports = await ctx.db
    .selectFrom('community_reports')
    .select(['id', 'post_id', 'reason', 'openid', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', 'open')
    .orderBy('id')
    .limit(1000)
    .execute();
  const postIds = [...new Set(reports.map((r) => r.post_id))];
  if (postIds.length === 0) return [];
  const posts = await ctx.db
    .selectFrom('community_posts')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', 'in', postIds)
    .execute();
  return posts
    .map((p) => ({ post: postView(p), reports: reports.filter((r) => r.post_id === p.id) }))
    .sort((a, b) => b.reports.length - a.reports.length);
}

async function postRow(ctx: Ctx, id: string) {
  return found(
    await ctx.db
      .selectFrom('community_posts')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    POST,
  );
}

/** Pin or hide a post; hiding or keeping it resolves its open reports. */
export async function moderatePost(ctx: Ctx, id: string, patch: { pinned?: boolean; hidden?: boolean }) {
  requireRole(ctx, 'operator', 'agent');
  const post = await postRow(ctx, id);
  if (patch.pinned && post.parent_id !== null)
    throw badRequest('reply_not_pinnable', '回复不能置顶', 'A reply cannot be pinned');
  await inTransaction(ctx.db, async (trx) => {
    await trx
      .updateTable('community_posts')
      .set({
        ...(patch.pinned === undefined ? {} : { pinned: patch.pinned ? 1 : 0 }),
        ...(patch.hidden === undefined ? {} : { status: patch.hidden ? 'hidden' : 'visible' }),
        updated_at: ctx.now,
      })
      .where('id', '=', post.id)
      .execute();
    if (patch.hidden !== undefined)
      await trx
        .updateTable('community_reports')
        .set({ status: 'resolved', resolved_at: ctx.now })
        .where('merchant_id', '=', ctx.merchantId)
        .where('post_id', '=', post.id)
        .where('status', '=', 'open')
        .execute();
  });
  return postView(await postRow(ctx, id));
}

/** Bans the author of a post (for `days`, or for good), hides the post and resolves its reports. */
export async function banAuthor(ctx: Ctx, postId: string, input: { reason: string; days?: number | null }) {
  requireRole(ctx, 'operator', 'agent');
  const post = await postRow(ctx, postId);
  const until = input.days ? ctx.now + input.days * 86_400_000 : null;
  const values = {
    reason: input.reason.trim(),
    until,
    created_by: actorLabel(ctx.actor),
    created_at: ctx.now,
  };
  await inTransaction(ctx.db, async (trx) => {
    await trx
      .insertInto('community_bans')
      .values({
        id: newId('ban', ctx.now),
        merchant_id: ctx.merchantId,
        account_id: post.account_id,
        openid: post.openid,
        ...values,
      })
      .onConflict((oc) => oc.columns(['merchant_id', 'account_id', 'openid']).doUpdateSet(values))
      .execute();
    await trx
      .updateTable('community_posts')
      .set({ status: 'hidden', updated_at: ctx.now })
      .where('id', '=', post.id)
      .execute();
    await trx
      .updateTable('community_reports')
      .set({ status: 'resolved', resolved_at: ctx.now })
      .where('merchant_id', '=', ctx.merchantId)
      .where('post_id', '=', post.id)
      .where('status', '=', 'open')
      .execute();
  });
  return found(
    await ctx.db
      .selectFrom('community_bans')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('account_id', '=', post.account_id)
      .where('openid', '=', post.openid)
      .executeTakeFirst(),
    { zh: '禁言', en: 'Ban' },
  );
}

export async function listBans(ctx: Ctx) {
  requireRole(ctx, 'operator', 'agent');
  return ctx.db
    .selectFrom('community_bans')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', ctx.now)]))
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
}

export async function liftBan(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator', 'agent');
  const result = await ctx.db
    .deleteFrom('community_bans')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0)
    throw new AppError(404, 'not_found', { zh: '禁言不存在', en: 'Ban not found' });
}

/** Counts for the console's header. */
export async function boardStats(ctx: Ctx) {
  requireRole(ctx, 'operator', 'agent');
  const row = await ctx.db
    .selectFrom('community_posts')
    .select([
      sql<number>`count(*)`.as('posts'),
      sql<number>`sum(case when status = 'hidden' then 1 else 0 end)`.as('hidden'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirstOrThrow();
  return { posts: Number(row.posts), hidden: Number(row.hidden ?? 0) };
}
