import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { type DayRange, dayOf, fillDays } from '../../platform/db/day-buckets.ts';
import { badRequest, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { apiClientFor, getAccount, listAccounts, viaWeChat } from '../accounts/index.ts';

export interface FollowerView {
  id: string;
  account_id: string;
  openid: string;
  unionid: string | null;
  subscribed: boolean;
  first_subscribed_at: number | null;
  subscribed_at: number | null;
  unsubscribed_at: number | null;
  source_qrcode_id: string | null;
  source_name: string | null;
  last_interaction_at: number | null;
  tags: string[];
  created_at: number;
}

export interface FollowerFilter {
  account_id?: string;
  subscribed?: boolean;
  source_qrcode_id?: string;
  tag?: string;
  q?: string;
  limit: number;
  cursor?: string;
}

/** Followers newest first, paged by id (ids sort by time), then their tags in one bounded query. */
export async function listFollowers(
  ctx: Ctx,
  filter: FollowerFilter,
): Promise<{ items: FollowerView[]; next_cursor: string | null }> {
  let query = ctx.db
    .selectFrom('followers')
    .leftJoin('channel_qrcodes', 'channel_qrcodes.id', 'followers.source_qrcode_id')
    .selectAll('followers')
    .select('channel_qrcodes.name as source_name')
    .where('followers.merchant_id', '=', ctx.merchantId);
  if (filter.account_id) query = query.where('followers.account_id', '=', filter.account_id);
  if (filter.subscribed !== undefined)
    query = query.where('followers.subscribed', '=', filter.subscribed ? 1 : 0);
  if (filter.source_qrcode_id)
    query = query.where('followers.source_qrcode_id', '=', filter.source_qrcode_id);
  if (filter.q) query = query.where('followers.openid', 'like', `%${filter.q.replace(/[%_]/g, '')}%`);
  if (filter.tag) {
    const tag = filter.tag;
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('follower_tags')
          .select(sql`1`.as('one'))
          .whereRef('follower_tags.follower_id', '=', 'followers.id')
          .where('follower_tags.tag', '=', tag),
      ),
    );
  }
  if (filter.cursor) query = query.where('followers.id', '<', filter.cursor);
  const rows = await query
    .orderBy('followers.id', 'desc')
    .limit(filter.limit + 1)
    .execute();
  const page = rows.slice(0, filter.limit);
  const tags = page.length
    ? await ctx.db
        .selectFrom('follower_tags')
        .select(['follower_id', 'tag'])
        .where('merchant_id', '=', ctx.merchantId)
        .where(
          'follower_id',
          'in',
          page.map((r) => r.id),
        )
        .orderBy('created_at')
        .execute()
    : [];
  const items = page.map((row) => ({
    ...row,
    subscribed: row.subscribed === 1,
    tags: tags.filter((t) => t.follower_id === row.id).map((t) => t.tag),
  }));
  return { items, next_cursor: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null };
}

export async function getFollower(
  ctx: Ctx,
  id: string,
): Promise<FollowerView & { scans: Array<{ qrcode_id: string; kind: string; created_at: number }> }> {
  const { items } = await listFollowersById(ctx, id);
  const follower = items[0];
  if (!follower) throw notFound({ zh: '粉丝', en: 'Follower' });
  const scans = await ctx.db
    .selectFrom('qrcode_scans')
    .select(['qrcode_id', 'kind', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('follower_id', '=', id)
    .orderBy('created_at')
    .limit(200)
    .execute();
  return { ...follower, scans };
}

async function listFollowersById(ctx: Ctx, id: string) {
  // The cursor is exclusive, so start just above the id to include it.
  const result = await listFollowers(ctx, { limit: 1, cursor: `${id}~` });
  return { items: result.items.filter((f) => f.id === id) };
}

export interface QrCodeView {
  id: string;
  account_id: string;
  name: string;
  scene: string;
  permanent: boolean;
  ticket: string;
  url: string;
  image_url: string;
  expires_at: number | null;
  created_at: number;
  followers: number;
  scans: number;
}

/** Creates a channel QR code in WeChat (permanent or temporary) and keeps its ticket. */
export async function createQrCode(
  ctx: Ctx,
  deps: Pick<AppDeps, 'config' | 'cache' | 'wechatFetch' | 'wechatTransport' | 'local'>,
  input: { account_id: string; name: string; permanent?: boolean; expire_days?: number },
): Promise<QrCodeView> {
  requireRole(ctx, 'operator');
  const account = await getAccount(ctx, input.account_id);
  if (account.type !== 'service' || account.verified !== 1) {
    throw badRequest(
      'service_account_required',
      '带参数二维码仅限已认证的服务号',
      'Parametric QR codes need a verified service account',
    );
  }
  const id = newId('qr', ctx.now);
  const scene = id.slice(-20);
  const permanent = input.permanent !== false;
  const expireSeconds = Math.min(input.expire_days ?? 30, 30) * 86_400;
  const result = await viaWeChat(() =>
    apiClientFor(deps, account).createQrCode({ scene, permanent, expireSeconds }),
  );
  const row = {
    id,
    merchant_id: ctx.merchantId,
    account_id: account.id,
    name: input.name,
    scene,
    permanent: permanent ? 1 : 0,
    ticket: result.ticket,
    url: result.url,
    expires_at: result.expire_seconds ? ctx.now + result.expire_seconds * 1000 : null,
    created_at: ctx.now,
  };
  await ctx.db.insertInto('channel_qrcodes').values(row).execute();
  return qrView(deps, { ...row, followers: 0, scans: 0 });
}

function qrView(
  deps: Pick<AppDeps, 'config'>,
  row: Omit<QrCodeView, 'permanent' | 'image_url'> & { permanent: number },
): QrCodeView {
  return {
    ...row,
    permanent: row.permanent === 1,
    followers: Number(row.followers),
    scans: Number(row.scans),
    image_url: `${deps.config.wechatApiBase}/cgi-bin/showqrcode?ticket=${encodeURIComponent(row.ticket)}`,
  };
}

/** Channel QR codes with how many followers each first brought and how many scans it had. */
export async function listQrCodes(
  ctx: Ctx,
  deps: Pick<AppDeps, 'config'>,
  filter: { account_id?: string; id?: string },
): Promise<QrCodeView[]> {
  let query = ctx.db
    .selectFrom('channel_qrcodes')
    .selectAll('channel_qrcodes')
    .select((eb) => [
      eb
        .selectFrom('followers')
        .select((f) => f.fn.countAll<number>().as('n'))
        .whereRef('followers.source_qrcode_id', '=', 'channel_qrcodes.id')
        .as('followers'),
      eb
        .selectFrom('qrcode_scans')
        .select((s) => s.fn.countAll<number>().as('n'))
        .whereRef('qrcode_scans.qrcode_id', '=', 'channel_qrcodes.id')
        .as('scans'),
    ])
    .where('channel_qrcodes.merchant_id', '=', ctx.merchantId);
  if (filter.account_id) query = query.where('channel_qrcodes.account_id', '=', filter.account_id);
  if (filter.id) query = query.where('channel_qrcodes.id', '=', filter.id);
  const rows = await query.orderBy('channel_qrcodes.created_at', 'desc').limit(1000).execute();
  return rows.map((row) =>
    qrView(deps, { ...row, followers: Number(row.followers ?? 0), scans: Number(row.scans ?? 0) }),
  );
}

export async function getQrCode(ctx: Ctx, deps: Pick<AppDeps, 'config'>, id: string): Promise<QrCodeView> {
  const [code] = await listQrCodes(ctx, deps, { id });
  if (!code) throw notFound({ zh: '渠道二维码', en: 'Channel QR code' });
  return code;
}

/** New followers per local day, and how many each channel QR code brought, over [from, to). */
export async function followerGrowth(ctx: Ctx, range: DayRange) {
  let daily = ctx.db
    .selectFrom('followers')
    .select((eb) => [
      dayOf(eb.ref('first_subscribed_at'), range.offsetMs).as('day'),
      eb.fn.countAll<number>().as('value'),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('first_subscribed_at', '>=', range.from)
    .where('first_subscribed_at', '<', range.to);
  if (range.account_id) daily = daily.where('account_id', '=', range.account_id);
  let sources = ctx.db
    .selectFrom('followers')
    .leftJoin('channel_qrcodes', 'channel_qrcodes.id', 'followers.source_qrcode_id')
    .select((eb) => ['channel_qrcodes.name as source', eb.fn.countAll<number>().as('value')])
    .where('followers.merchant_id', '=', ctx.merchantId)
    .where('followers.first_subscribed_at', '>=', range.from)
    .where('followers.first_subscribed_at', '<', range.to)
    .groupBy('channel_qrcodes.name');
  if (range.account_id) sources = sources.where('followers.account_id', '=', range.account_id);
  let totals = ctx.db
    .selectFrom('followers')
    .select((eb) => [eb.fn.countAll<number>().as('all'), eb.fn.sum<number>('subscribed').as('subscribed')])
    .where('merchant_id', '=', ctx.merchantId);
  if (range.account_id) totals = totals.where('account_id', '=', range.account_id);
  const [days, bySource, total] = await Promise.all([
    daily.groupBy('day').execute(),
    sources.execute(),
    totals.executeTakeFirstOrThrow(),
  ]);
  return {
    total: Number(total.all),
    subscribed: Number(total.subscribed ?? 0),
    new_by_day: fillDays(days, range.from, range.to, range.offsetMs),
    by_source: bySource
      .map((s) => ({ source: s.source ?? '直接关注', value: Number(s.value) }))
      .sort((a, b) => b.value - a.value || a.source.localeCompare(b.source)),
  };
}

/** Log kinds that are a fan writing or clicking (what the dashboard counts as messages in). */
export const FAN_MESSAGE_KINDS = [
  'text',
  'image',
  'voice',
  'video',
  'shortvideo',
  'location',
  'link',
  'click',
];

/**
 * Messages per local day from the message log, in one pass: what fans sent, and what the account
 * sent back (passive replies plus follow-ups through the API), over [from, to).
 */
export async function messagesByDay(ctx: Ctx, range: DayRange) {
  const kinds = sql.join(FAN_MESSAGE_KINDS.map((kind) => sql.lit(kind)));
  let query = ctx.db
    .selectFrom('inbound_messages')
    .select((eb) => [
      dayOf(eb.ref('created_at'), range.offsetMs).as('day'),
      sql<number>`sum(case when kind in (${kinds}) then 1 else 0 end)`.as('sent'),
      sql<number>`sum((case when reply is null then 0 else 1 end) + (case when followup is null then 0 else 1 end))`.as(
        'replied',
      ),
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .where('created_at', '>=', range.from)
    .where('created_at', '<', range.to);
  if (range.account_id) query = query.where('account_id', '=', range.account_id);
  const rows = await query.groupBy('day').execute();
  return {
    in: fillDays(
      rows.map((r) => ({ day: r.day, value: Number(r.sent ?? 0) })),
      range.from,
      range.to,
      range.offsetMs,
    ),
    out: fillDays(
      rows.map((r) => ({ day: r.day, value: Number(r.replied ?? 0) })),
      range.from,
      range.to,
      range.offsetMs,
    ),
  };
}

/**
 * Whether to invite a fan (of `accountId`) to follow the merchant's service account, the one that
 * sends order notices: null when the fan (or the same person, by unionid) already follows one.
 */
export async function followInvite(
  ctx: Pick<Ctx, 'db' | 'merchantId'> & Parameters<typeof listAccounts>[0],
  accountId: string,
  openid: string,
): Promise<{ serviceName: string; ticket: string | null } | null> {
  const services = (await listAccounts(ctx)).filter((a) => a.type === 'service');
  if (services.length === 0) return null;
  const me = await ctx.db
    .selectFrom('followers')
    .select(['unionid'])
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
  const following = await ctx.db
    .selectFrom('followers')
    .select('account_id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('subscribed', '=', 1)
    .where(
      'account_id',
      'in',
      services.map((s) => s.id),
    )
    .where((eb) =>
      eb.or([
        eb.and([eb('account_id', '=', accountId), eb('openid', '=', openid)]),
        ...(me?.unionid ? [eb('unionid', '=', me.unionid)] : []),
      ]),
    )
    .executeTakeFirst();
  if (following) return null;
  const service = services[0]!;
  const code = await ctx.db
    .selectFrom('channel_qrcodes')
    .select(['ticket'])
    .where('account_id', '=', service.id)
    .orderBy('created_at')
    .executeTakeFirst();
  return { serviceName: service.name, ticket: code?.ticket ?? null };
}

/** Every channel QR code of the merchant with its scene, for reports that name the QR behind a follow. */
export async function qrCodeDirectory(ctx: Pick<Ctx, 'db' | 'merchantId'>) {
  return ctx.db
    .selectFrom('channel_qrcodes')
    .select(['id', 'account_id', 'scene', 'name'])
    .where('merchant_id', '=', ctx.merchantId)
    .execute();
}

/** Followers subscribed now, per account: the figure analytics anchors its cumulative series to. */
export async function subscribedByAccount(ctx: Pick<Ctx, 'db' | 'merchantId'>) {
  const rows = await ctx.db
    .selectFrom('followers')
    .select((eb) => ['account_id', eb.fn.countAll<number>().as('n')])
    .where('merchant_id', '=', ctx.merchantId)
    .where('subscribed', '=', 1)
    .groupBy('account_id')
    .execute();
  return rows.map((r) => ({ account_id: r.account_id, subscribed: Number(r.n) }));
}
