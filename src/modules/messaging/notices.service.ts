import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { type Account, getAccount } from '../accounts/index.ts';
import { followerOf } from '../channel/index.ts';
import { orderPolicy } from '../orders/index.ts';
import { chinaDay, nextChinaHour } from './china-time.ts';
import { fill, KINDS, templateData, unknownVariables } from './notice-kinds.ts';
import {
  NOTICE_KINDS,
  type NoticeKind,
  type NoticesTable,
  type NoticeTemplatesTable,
} from './notices.schema.ts';

export const NOTICE_JOB = 'messaging.notices';
export const BIRTHDAY_JOB = 'messaging.birthdays';
/** Birthday greetings go out at 10:00 China time. */
const BIRTHDAY_HOUR = 10;
/** WeChat's customer-service window: a fan may be messaged within 48 hours of their last message. */
export const WINDOW_MS = 48 * 3_600_000;
/** WeChat's default allowance of template notices per account and day; large accounts get more. */
export const DEFAULT_DAILY_LIMIT = 100_000;
export const DEFAULT_PER_SECOND = 2_000;
/** Notices per sending job: a bulk request is cut into batches of this many. */
export const NOTICE_BATCH = 2_000;

export interface NoticeSettings {
  daily_limit: number;
  per_second: number;
}

export async function noticeSettings(ctx: Pick<Ctx, 'db' | 'merchantId'>): Promise<NoticeSettings> {
  const row = await ctx.db
    .selectFrom('notice_settings')
    .select(['daily_limit', 'per_second'])
    .where('merchant_id', '=', ctx.merchantId)
    .executeTakeFirst();
  return row ?? { daily_limit: DEFAULT_DAILY_LIMIT, per_second: DEFAULT_PER_SECOND };
}

/** The throttles as the console shows them. */
export async function getNoticeSettings(ctx: Ctx): Promise<NoticeSettings> {
  requireRole(ctx, 'operator');
  return noticeSettings(ctx);
}

/** The owner sets the account's allowance (WeChat raises it with the follower count) and a pace. */
export async function saveNoticeSettings(ctx: Ctx, input: NoticeSettings): Promise<NoticeSettings> {
  requireRole(ctx, 'owner');
  const row = { merchant_id: ctx.merchantId, ...input, updated_at: ctx.now };
  await ctx.db
    .insertInto('notice_settings')
    .values(row)
    .onConflict((oc) => oc.column('merchant_id').doUpdateSet({ ...input, updated_at: ctx.now }))
    .execute();
  return input;
}

export interface NoticeTemplateView {
  kind: NoticeKind;
  label: { zh: string; en: string };
  variables: readonly string[];
  default_fields: Record<string, string>;
  has_chat_fallback: boolean;
  template_id: string | null;
  fields: Record<string, string> | null;
  enabled: boolean;
}

/** Every kind with the merchant's mapping (or none), for the console's settings page. */
export async function listNoticeTemplates(ctx: Ctx): Promise<NoticeTemplateView[]> {
  requireRole(ctx, 'operator');
  const rows = await ctx.db
    .selectFrom('notice_templates')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
  const byKind = new Map(rows.map((r) => [r.kind, r]));
  // Paid and shipped may still go out with the template ids saved with the order settings.
  const policy = await orderPolicy(ctx);
  const legacy: Partial<Record<NoticeKind, string | null>> = {
    order_paid: policy.templatePaid,
    order_shipped: policy.templateShipped,
  };
  return NOTICE_KINDS.map((kind) => {
    const row = byKind.get(kind);
    const inherited = row ? null : (legacy[kind] ?? null);
    return {
      kind,
      label: KINDS[kind].label,
      variables: KINDS[kind].variables,
      default_fields: KINDS[kind].defaultFields,
      has_chat_fallback: Boolean(KINDS[kind].chat),
      template_id: row?.template_id ?? inherited,
      fields: row ? (JSON.parse(row.fields) as Record<string, string>) : null,
      enabled: row ? row.enabled === 1 : inherited !== null,
    };
  });
}

export interface TemplateInput {
  template_id: string;
  fields?: Record<string, string>;
  enabled?: boolean;
}

export async function saveNoticeTemplate(ctx: Ctx, kind: NoticeKind, input: TemplateInput) {
  requireRole(ctx, 'owner');
  if (!NOTICE_KINDS.includes(kind)) throw badRequest('invalid_kind', '没有这种通知', 'No such notice kind');
  const fields = input.fields ?? KINDS[kind].defaultFields;
  if (Object.keys(fields).length === 0 || Object.keys(fields).length > 10)
    throw badRequest('invalid_fields', '模板字段 1–10 个', 'A template has 1–10 fields');
  for (const name of Object.keys(fields))
    if (!/^[a-zA-Z][a-zA-Z0-9_]{0,31}$/.test(name))
      throw badRequest('invalid_fields', `字段名不合法：${name}`, `Invalid field name: ${name}`);
  const unknown = unknownVariables(kind, fields);
  if (unknown.length)
    throw badRequest(
      'unknown_variable',
      `这种通知没有变量：${unknown.join('、')}`,
      `This notice has no variable: ${unknown.join(', ')}`,
    );
  const row: NoticeTemplatesTable = {
    merchant_id: ctx.merchantId,
    kind,
    template_id: input.template_id.trim(),
    fields: JSON.stringify(fields),
    enabled: input.enabled === false ? 0 : 1,
    updated_at: ctx.now,
  };
  const { merchant_id: _m, kind: _k, ...update } = row;
  await ctx.db
    .insertInto('notice_templates')
    .values(row)
    .onConflict((oc) => oc.columns(['merchant_id', 'kind']).doUpdateSet(update))
    .execute();
  if (kind === 'birthday' && row.enabled) {
    await scheduleBirthdays(ctx);
    ctx.deps.wakeJobs();
  }
  return (await listNoticeTemplates(ctx)).find((v) => v.kind === kind)!;
}

export async function deleteNoticeTemplate(ctx: Ctx, kind: NoticeKind) {
  requireRole(ctx, 'owner');
  await ctx.db
    .deleteFrom('notice_templates')
    .where('merchant_id', '=', ctx.merchantId)
    .where('kind', '=', kind)
    .execute();
}

/**
 * The template a kind is sent with: the merchant's mapping; for paid and shipped orders, the
 * template ids saved with the order settings before notices had their own page.
 */
async function templateFor(ctx: Ctx, kind: NoticeKind) {
  const row = await ctx.db
    .selectFrom('notice_templates')
    .select(['template_id', 'fields', 'enabled'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (row)
    return row.enabled
      ? { id: row.template_id, fields: JSON.parse(row.fields) as Record<string, string> }
      : null;
  if (kind === 'order_paid' || kind === 'order_shipped') {
    const policy = await orderPolicy(ctx);
    const id = kind === 'order_paid' ? policy.templatePaid : policy.templateShipped;
    if (id) return { id, fields: KINDS[kind].defaultFields };
  }
  return null;
}

/** True when the kind would go out as a template (the birthday job stops when there is none). */
export async function hasTemplate(ctx: Ctx, kind: NoticeKind): Promise<boolean> {
  return (await templateFor(ctx, kind)) !== null;
}

export interface NoticeRequest {
  kind: NoticeKind;
  /** What happened, e.g. the order id: with the fan, the idempotency key. */
  eventKey: string;
  accountId: string;
  openid: string;
  vars: Record<string, string>;
  url?: string | null;
}

/** How a notice goes out, or why it cannot (then it is recorded as skipped, never sent). */
async function plan(ctx: Ctx, account: Account, request: NoticeRequest) {
  const template = await templateFor(ctx, request.kind);
  const chat = KINDS[request.kind].chat;
  const templateAllowed = account.type === 'service' && account.verified === 1;
  if (template && templateAllowed) {
    return {
      via: 'template' as const,
      template_id: template.id,
      data: JSON.stringify(templateData(template.fields, request.vars)),
      skip: null,
    };
  }
  if (!chat) return null;
  const content = JSON.stringify({ content: fill(chat, request.vars) });
  // A customer-service message needs the fan's message within 48 hours (WeChat's rule).
  // A fan channel has seen go quiet is not called at all; one it has not seen, WeChat decides (45015).
  const follower = await followerOf(ctx, account.id, request.openid);
  const last = follower?.last_interaction_at ?? null;
  const skip = last !== null && ctx.now - last > WINDOW_MS ? 'outside the 48-hour window' : null;
  return { via: 'chat' as const, template_id: null, data: content, skip };
}

/**
 * Records a notice for one fan and queues its sending, in one transaction. A second request for
 * the same (kind, event, fan) changes nothing. Returns the notice id, or null when the kind has
 * no template and no chat text (nothing to send).
 */
export async function requestNotice(ctx: Ctx, request: NoticeRequest): Promise<string | null> {
  const account = await getAccount(ctx, request.accountId);
  const how = await plan(ctx, account, request);
  if (!how) return null;
  const id = newId('ntc', ctx.now);
  const row: NoticesTable = {
    id,
    merchant_id: ctx.merchantId,
    account_id: account.id,
    kind: request.kind,
    event_key: request.eventKey,
    openid: request.openid,
    batch_id: id,
    via: how.via,
    template_id: how.template_id,
    data: how.data,
    url: request.url ?? null,
    status: how.skip ? 'skipped' : 'pending',
    attempts: 0,
    msg_id: null,
    finish_status: null,
    error: how.skip,
    created_at: ctx.now,
    sent_at: null,
  };
  const outcome = await inTransaction(ctx.db, async (trx) => {
    const inserted = await trx
      .insertInto('notices')
      .values(row)
      .onConflict((oc) => oc.columns(['merchant_id', 'kind', 'event_key', 'openid']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      const first = await trx
        .selectFrom('notices')
        .select('id')
        .where('merchant_id', '=', ctx.merchantId)
        .where('kind', '=', request.kind)
        .where('event_key', '=', request.eventKey)
        .where('openid', '=', request.openid)
        .executeTakeFirstOrThrow();
      return { id: first.id, queued: false };
    }
    if (how.skip) return { id, queued: false };
    await enqueueJob(
      trx,
      { type: NOTICE_JOB, key: id, merchantId: ctx.merchantId, payload: { batch: id } },
      ctx.now,
    );
    return { id, queued: true };
  });
  if (outcome.queued) ctx.deps.wakeJobs();
  return outcome.id;
}

/**
 * Many fans, one event (a campaign's template notice): rows written in chunks, a sending job per
 * batch of NOTICE_BATCH. Template only; the caller has checked the account. Returns notices queued.
 */
export async function requestTemplateNotices(
  ctx: Ctx,
  input: { kind: NoticeKind; eventKey: string; accountId: string; url?: string | null },
  recipients: Array<{ openid: string; vars: Record<string, string> }>,
): Promise<number> {
  requireRole(ctx, 'operator');
  const account = await getAccount(ctx, input.accountId);
  const template = await templateFor(ctx, input.kind);
  if (!template || account.type !== 'service' || account.verified !== 1)
    throw badRequest(
      'no_template',
      '需要已认证服务号和该通知的模板',
      'Needs a verified service account and a template for this notice',
    );
  let queued = 0;
  for (let b = 0; b < recipients.length; b += NOTICE_BATCH) {
    const batchId = newId('ntb', ctx.now);
    const slice = recipients.slice(b, b + NOTICE_BATCH);
    queued += await inTransaction(ctx.db, async (trx) => {
      let n = 0;
      for (let i = 0; i < slice.length; i += 500) {
        const result = await trx
          .insertInto('notices')
          .values(
            slice.slice(i, i + 500).map((r) => ({
              id: newId('ntc', ctx.now),
              merchant_id: ctx.merchantId,
              account_id: account.id,
              kind: input.kind,
              event_key: input.eventKey,
              openid: r.openid,
              batch_id: batchId,
              via: 'template' as const,
              template_id: template.id,
              data: JSON.stringify(templateData(template.fields, r.vars)),
              url: input.url ?? null,
              status: 'pending' as const,
              attempts: 0,
              msg_id: null,
              finish_status: null,
              error: null,
              created_at: ctx.now,
              sent_at: null,
            })),
          )
          .onConflict((oc) => oc.columns(['merchant_id', 'kind', 'event_key', 'openid']).doNothing())
          .executeTakeFirst();
        n += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      await enqueueJob(
        trx,
        {
          type: NOTICE_JOB,
          key: batchId,
          merchantId: ctx.merchantId,
          payload: { batch: batchId },
          maxAttempts: 12,
        },
        ctx.now,
      );
      return n;
    });
  }
  ctx.deps.wakeJobs();
  return queued;
}

export interface NoticeListFilter {
  kind?: NoticeKind;
  status?: NoticesTable['status'];
  limit: number;
  before?: string;
}

/** Recent notices, newest first: what went out, what was skipped and why. */
export async function listNotices(ctx: Ctx, filter: NoticeListFilter) {
  requireRole(ctx, 'operator');
  let query = ctx.db
    .selectFrom('notices')
    .select([
      'id',
      'account_id',
      'kind',
      'event_key',
      'openid',
      'via',
      'template_id',
      'status',
      'attempts',
      'msg_id',
      'finish_status',
      'error',
      'created_at',
      'sent_at',
    ])
    .where('merchant_id', '=', ctx.merchantId);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.before) query = query.where('id', '<', filter.before);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

/** Queues the next birthday run (one per merchant and day; a second call is a no-op). */
export async function scheduleBirthdays(ctx: Ctx): Promise<void> {
  const now = ctx.deps.clock.now();
  const at = nextChinaHour(now, BIRTHDAY_HOUR);
  await enqueueJob(
    ctx.db,
    { type: BIRTHDAY_JOB, key: `${ctx.merchantId}:${chinaDay(at)}`, merchantId: ctx.merchantId, runAt: at },
    now,
  );
}
