import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { AppError, badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { type Account, getAccount } from '../accounts/index.ts';
import { countMembers, getSegment, listTags } from '../crm/index.ts';
import type { AudienceKind, BroadcastKind, BroadcastsTable } from './messaging.schema.ts';
import { type QuotaView, quotaAt } from './quota.ts';

export const SEND_JOB = 'messaging.send';
const BROADCAST = { zh: '群发', en: 'Broadcast' };

export interface ArticleInput {
  title: string;
  digest?: string;
  body: string;
  cover_url?: string;
  /** The "read more" link: a product or shop page. */
  link: string;
}

export interface BroadcastInput {
  account_id: string;
  title?: string;
  kind: BroadcastKind;
  articles?: ArticleInput[];
  text?: string;
  image_media_id?: string;
  audience: { kind: AudienceKind; ref?: string | null };
}

export type BroadcastView = Omit<BroadcastsTable, 'content'> & { content: Record<string, unknown> };

const view = (row: BroadcastsTable): BroadcastView => ({ ...row, content: JSON.parse(row.content) });

/** Checks content against WeChat's limits before anything is stored. */
function contentOf(input: BroadcastInput): Record<string, unknown> {
  if (input.kind === 'news') {
    const articles = input.articles ?? [];
    if (articles.length < 1 || articles.length > 8)
      throw badRequest('invalid_articles', '图文消息需要 1–8 篇文章', 'A news message has 1–8 articles');
    for (const a of articles) {
      if (!a.title.trim() || a.title.length > 64)
        throw badRequest('invalid_title', '标题必填，最多 64 字', 'Title is required, 64 characters at most');
      if ((a.digest ?? '').length > 120)
        throw badRequest('invalid_digest', '摘要最多 120 字', 'Digest is 120 characters at most');
      if (!a.body.trim()) throw badRequest('invalid_body', '正文必填', 'Body is required');
      if (!/^https?:\/\//.test(a.link))
        throw badRequest('invalid_link', '"阅读原文"需是网址', '"Read more" must be a web address');
    }
    return { articles };
  }
  if (input.kind === 'text') {
    const text = input.text ?? '';
    if (!text.trim() || text.length > 600)
      throw badRequest('invalid_text', '文字消息 1–600 字', 'Text is 1–600 characters');
    return { text };
  }
  if (!input.image_media_id) throw badRequest('invalid_image', '请先上传图片', 'Upload the image first');
  return { media_id: input.image_media_id };
}

function ruleOf(audience: BroadcastInput['audience']) {
  return { op: 'and' as const, rules: [{ type: 'tag' as const, tag_id: audience.ref ?? '' }] };
}

/** How many members the audience holds now (the picker shows it; 'all' must be confirmed with it). */
export async function audienceCount(ctx: Ctx, audience: BroadcastInput['audience']): Promise<number> {
  requireRole(ctx, 'operator');
  if (audience.kind === 'all') return countMembers(ctx, { op: 'and', rules: [] });
  if (!audience.ref) throw badRequest('invalid_audience', '请选择标签或分群', 'Choose a tag or a segment');
  if (audience.kind === 'tag') return countMembers(ctx, ruleOf(audience));
  return countMembers(ctx, (await getSegment(ctx, audience.ref)).rules);
}

/**
 * Subscription accounts may not send by openid list (WeChat's rule): they send to everyone or to
 * a WeChat tag in one call, so a tag must be mirrored to WeChat; a segment needs a service account.
 */
async function checkAccountFits(ctx: Ctx, account: Account, audience: BroadcastInput['audience']) {
  if (account.type !== 'subscription' || audience.kind === 'all') return;
  if (audience.kind === 'segment')
    throw badRequest(
      'subscription_audience',
      '订阅号不能按名单群发：请发给全部粉丝或同步到微信的标签；按分群群发请用服务号',
      'A subscription account cannot send to a list: send to everyone or to a tag mirrored to WeChat, or use a service account for a segment',
    );
  const tag = (await listTags(ctx)).find((t) => t.id === audience.ref);
  if (!tag?.sync)
    throw badRequest(
      'tag_not_synced',
      '订阅号按标签群发需要该标签同步到微信',
      'A subscription account sends to a tag only when the tag is mirrored to WeChat',
    );
}

/** WeChat's id of a CRM tag on this account, once the mirror has made it; null before. */
export async function wechatTagOf(ctx: Ctx, tagId: string, accountId: string): Promise<number | null> {
  const tag = (await listTags(ctx)).find((t) => t.id === tagId);
  return tag?.wechat.find((w) => w.account_id === accountId)?.wechat_tag_id ?? null;
}

export async function createBroadcast(ctx: Ctx, input: BroadcastInput): Promise<BroadcastView> {
  requireRole(ctx, 'operator');
  const account = await getAccount(ctx, input.account_id);
  const content = contentOf(input);
  await checkAccountFits(ctx, account, input.audience);
  if (input.audience.kind !== 'all') await audienceCount(ctx, input.audience);
  const row: BroadcastsTable = {
    id: newId('bc', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: account.id,
    title: input.title?.trim() || (input.articles?.[0]?.title ?? input.text?.slice(0, 20) ?? '图片'),
    kind: input.kind,
    content: JSON.stringify(content),
    audience_kind: input.audience.kind,
    audience_ref: input.audience.kind === 'all' ? null : (input.audience.ref ?? null),
    snapshot_id: null,
    status: 'draft',
    scheduled_at: null,
    started_at: null,
    finished_at: null,
    media_id: null,
    recipients: 0,
    batches: 0,
    batches_done: 0,
    sent: 0,
    clicks: 0,
    error: null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db.insertInto('broadcasts').values(row).execute();
  return view(row);
}

export async function getBroadcastRow(ctx: Ctx, id: string): Promise<BroadcastsTable> {
  return found(
    await ctx.db
      .selectFrom('broadcasts')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    BROADCAST,
  );
}

export async function getBroadcast(ctx: Ctx, id: string): Promise<BroadcastView> {
  requireRole(ctx, 'operator');
  return view(await getBroadcastRow(ctx, id));
}

export async function listBroadcasts(ctx: Ctx): Promise<BroadcastView[]> {
  requireRole(ctx, 'operator');
  const rows = await ctx.db
    .selectFrom('broadcasts')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  return rows.map(view);
}

/** Minutes after local midnight of the presets: "after lunch" and "before sleep". */
export const PRESETS = { lunch: 12 * 60 + 30, evening: 21 * 60 + 30 } as const;

/** The next instant at `minutes` past midnight in `timeZone`, strictly after `now`. */
export function nextLocalTime(now: number, timeZone: string, minutes: number): number {
  const fmt = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const offsetAt = (ms: number) => {
    const p = Object.fromEntries(fmt.formatToParts(ms).map((x) => [x.type, x.value]));
    const local = Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!);
    return local - Math.floor(ms / 60_000) * 60_000;
  };
  const localNow = now + offsetAt(now);
  const dayStart = Math.floor(localNow / 86_400_000) * 86_400_000;
  for (let day = 0; day < 3; day++) {
    const localTarget = dayStart + day * 86_400_000 + minutes * 60_000;
    const at = localTarget - offsetAt(localTarget - offsetAt(localTarget));
    if (at > now) return at;
  }
  throw new Error('unreachable: a preset time exists within three days');
}

export interface ScheduleInput {
  /** Epoch ms; or a preset in the merchant's zone; or now. */
  at?: number;
  preset?: 'lunch' | 'evening' | 'now';
  /** Sending to every member needs the count the operator was shown. */
  confirm_count?: number;
  time_zone: string;
}

/** Books the send: quota checked for its period, the job queued for its time. */
export async function scheduleBroadcast(ctx: Ctx, id: string, input: ScheduleInput): Promise<BroadcastView> {
  requireRole(ctx, 'operator');
  const row = await getBroadcastRow(ctx, id);
  if (row.status !== 'draft')
    throw conflict('not_draft', '只有草稿可以安排发送', 'Only a draft can be scheduled');
  const at =
    input.preset === 'lunch' || input.preset === 'evening'
      ? nextLocalTime(ctx.now, input.time_zone, PRESETS[input.preset])
      : input.preset === 'now' || input.at === undefined
        ? ctx.now
        : input.at;
  if (at < ctx.now - 60_000) throw badRequest('past_time', '发送时间已过', 'That time has passed');
  if (row.audience_kind === 'all') {
    const count = await audienceCount(ctx, { kind: 'all' });
    if (input.confirm_count !== count)
      throw badRequest(
        'confirm_all',
        `发给全部 ${count} 位会员需要确认人数`,
        `Sending to all ${count} members needs that count confirmed`,
      );
  }
  const account = await getAccount(ctx, row.account_id);
  return inTransaction(ctx.db, async (trx) => {
    const quota = await quotaAt({ ...ctx, db: trx }, account, at, id);
    if (quota.left <= 0) throw quotaError(quota);
    const updated = await trx
      .updateTable('broadcasts')
      .set({ status: 'scheduled', scheduled_at: at, updated_at: ctx.now })
      .where('id', '=', id)
      .where('merchant_id', '=', ctx.merchantId)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1)
      throw conflict('not_draft', '只有草稿可以安排发送', 'Only a draft can be scheduled');
    await enqueueJob(
      trx,
      { type: SEND_JOB, key: id, merchantId: ctx.merchantId, payload: { id }, runAt: at, maxAttempts: 12 },
      ctx.now,
    );
    ctx.deps.wakeJobs();
    return view({ ...row, status: 'scheduled', scheduled_at: at, updated_at: ctx.now });
  });
}

export function quotaError(quota: QuotaView): AppError {
  return new AppError(409, 'mass_send_quota', {
    zh: `群发次数已用完：本${quota.period === 'day' ? '日' : '月'} ${quota.allowance} 次已用 ${quota.used} 次（微信 45028）`,
    en: `No mass sends left: ${quota.used} of ${quota.allowance} this ${quota.period} used (WeChat 45028)`,
  });
}

/** Cancels a send that has not started; a started one runs to the end. */
export async function cancelBroadcast(ctx: Ctx, id: string): Promise<BroadcastView> {
  requireRole(ctx, 'operator');
  const row = await getBroadcastRow(ctx, id);
  const updated = await ctx.db
    .updateTable('broadcasts')
    .set({ status: 'cancelled', updated_at: ctx.now })
    .where('id', '=', id)
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', 'in', ['draft', 'scheduled'])
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1)
    throw conflict('already_started', '已开始发送，无法取消', 'Sending has started and cannot be cancelled');
  return view({ ...row, status: 'cancelled', updated_at: ctx.now });
}

/** Quota left for the account now (the console's meter). */
export async function quotaNow(ctx: Ctx, accountId: string): Promise<QuotaView> {
  requireRole(ctx, 'operator');
  return quotaAt(ctx, await getAccount(ctx, accountId), ctx.now);
}
