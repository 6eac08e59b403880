import { randomBytes } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { actorLabel, requireRole } from '../../platform/auth/roles.ts';
import { isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict, forbidden } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getAccount } from '../accounts/index.ts';
import type { DistBindingsTable, DistributorsTable, JoinMode } from './distribution.schema.ts';
import { DAY_MS, distSettings } from './distribution.settings.ts';

export const DISTRIBUTOR = { zh: '分销员', en: 'Distributor' };
export const DIST_QR_JOB = 'growth.dist_qr';
/** Deeper than any real tree; bounds the ancestor walk if data were ever corrupt. */
const MAX_DEPTH = 64;

type Reader = Pick<Ctx, 'db' | 'merchantId'>;

export async function getDistributor(ctx: Reader, id: string): Promise<DistributorsTable> {
  return found(
    await ctx.db
      .selectFrom('growth_distributors')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    DISTRIBUTOR,
  );
}

export async function distributorOfFan(ctx: Reader, accountId: string, openid: string) {
  return ctx.db
    .selectFrom('growth_distributors')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
}

export async function distributorByCode(ctx: Reader, code: string) {
  return ctx.db
    .selectFrom('growth_distributors')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('code', '=', code)
    .executeTakeFirst();
}

/** The buyer's binding, whether or not it still holds. */
export async function bindingOf(ctx: Reader, accountId: string, openid: string) {
  return ctx.db
    .selectFrom('growth_dist_bindings')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .where('openid', '=', openid)
    .executeTakeFirst();
}

export const bindingHolds = (binding: Pick<DistBindingsTable, 'expires_at'>, at: number) =>
  binding.expires_at === null || Number(binding.expires_at) > at;

/** Ids from `id` up to the root (itself first). */
export async function ancestry(ctx: Reader, id: string | null): Promise<string[]> {
  const chain: string[] = [];
  let current = id;
  while (current && chain.length < MAX_DEPTH) {
    if (chain.includes(current)) break;
    chain.push(current);
    const row = await ctx.db
      .selectFrom('growth_distributors')
      .select('parent_id')
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', current)
      .executeTakeFirst();
    current = row?.parent_id ?? null;
  }
  return chain;
}

const newCode = () => randomBytes(9).toString('base64url');

/**
 * A fan becomes a distributor: at once when joining is open (or a package was bought, or an
 * operator adds them), else as an application the owner approves. Their parent is the referrer
 * they are bound to now, so the tree grows from the links that brought people in and cannot loop.
 */
export async function becomeDistributor(
  ctx: Ctx,
  fan: { accountId: string; openid: string },
  via: JoinMode | 'admin',
  note = '',
): Promise<DistributorsTable> {
  const settings = await distSettings(ctx);
  if (via === 'admin') {
    requireRole(ctx, 'operator');
    await getAccount(ctx, fan.accountId);
  } else {
    if (!settings.enabled)
      throw conflict('distribution_off', '分销未开启', 'Distribution is not open at this shop');
    if (via !== settings.join_mode && via !== 'package')
      throw conflict('join_mode', '当前不能这样成为分销员', 'Joining this way is not open');
  }
  const existing = await distributorOfFan(ctx, fan.accountId, fan.openid);
  if (existing) {
    // A rejected fan may apply again; anyone else keeps the row they have.
    if (existing.status !== 'rejected') return existing;
    const status = via === 'apply' ? 'pending' : 'active';
    await ctx.db
      .updateTable('growth_distributors')
      .set({
        status,
        via,
        note: note.slice(0, 200),
        updated_at: ctx.now,
        approved_at: status === 'active' ? ctx.now : null,
      })
      .where('id', '=', existing.id)
      .execute();
    if (status === 'active') await queueQr(ctx, existing.id);
    return getDistributor(ctx, existing.id);
  }
  const binding = await bindingOf(ctx, fan.accountId, fan.openid);
  const parent =
    binding && bindingHolds(binding, ctx.now) ? await getDistributor(ctx, binding.distributor_id) : null;
  const status = via === 'apply' ? 'pending' : 'active';
  const row: DistributorsTable = {
    id: newId('dst', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: fan.accountId,
    openid: fan.openid,
    code: newCode(),
    status,
    via,
    parent_id: parent && parent.status === 'active' ? parent.id : null,
    balance: 0,
    qrcode_id: null,
    scene: null,
    qr_url: null,
    note: note.slice(0, 200),
    flagged: 0,
    flag_reason: null,
    created_at: ctx.now,
    approved_at: status === 'active' ? ctx.now : null,
    updated_at: ctx.now,
  };
  try {
    await ctx.db.insertInto('growth_distributors').values(row).execute();
  } catch (error) {
    // Two taps at once: the first row stands.
    if (isUniqueViolation(error)) {
      const other = await distributorOfFan(ctx, fan.accountId, fan.openid);
      if (other) return other;
    }
    throw error;
  }
  if (status === 'active') await queueQr(ctx, row.id);
  return row;
}

async function queueQr(ctx: Ctx, distributorId: string) {
  await enqueueJob(
    ctx.db,
    { type: DIST_QR_JOB, key: distributorId, merchantId: ctx.merchantId, payload: { distributorId } },
    ctx.now,
  );
  ctx.deps.wakeJobs();
}

/** The owner decides an application (or suspends / restores a distributor). */
export async function reviewDistributor(
  ctx: Ctx,
  id: string,
  decision: 'approve' | 'reject' | 'suspend' | 'restore',
): Promise<DistributorsTable> {
  requireRole(ctx, 'owner');
  const row = await getDistributor(ctx, id);
  const from: Record<typeof decision, string[]> = {
    approve: ['pending'],
    reject: ['pending'],
    suspend: ['active'],
    restore: ['suspended'],
  };
  const to = { approve: 'active', reject: 'rejected', suspend: 'suspended', restore: 'active' } as const;
  if (!from[decision].includes(row.status))
    throw conflict(
      'invalid_status',
      '当前状态不能这样操作',
      `A ${row.status} distributor cannot be changed so`,
    );
  const moved = await ctx.db
    .updateTable('growth_distributors')
    .set({
      status: to[decision],
      approved_at: decision === 'approve' ? ctx.now : row.approved_at,
      updated_at: ctx.now,
    })
    .where('id', '=', id)
    .where('status', '=', row.status)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) === 0)
    throw conflict('invalid_status', '状态已被他人修改', 'Someone else changed it first');
  if (to[decision] === 'active') await queueQr(ctx, id);
  return getDistributor(ctx, id);
}

/** An operator moves a distributor under another (or to the top); a move into its own subtree is refused. */
export async function moveDistributor(ctx: Ctx, id: string, parentId: string | null) {
  requireRole(ctx, 'owner');
  await getDistributor(ctx, id);
  if (parentId) {
    await getDistributor(ctx, parentId);
    if ((await ancestry(ctx, parentId)).includes(id)) {
      await flag(ctx, id, 'cycle', `refused move under ${parentId} by ${actorLabel(ctx.actor)}`);
      throw conflict('cycle', '不能移到自己的下级之下', 'A distributor cannot move under its own downline');
    }
  }
  await ctx.db
    .updateTable('growth_distributors')
    .set({ parent_id: parentId, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return getDistributor(ctx, id);
}

export async function flag(
  ctx: Ctx,
  distributorId: string,
  kind: 'burst' | 'cycle' | 'self_purchase',
  detail: string,
) {
  await ctx.db
    .insertInto('growth_dist_flags')
    .values({
      id: newId('dfl', ctx.now),
      merchant_id: ctx.merchantId,
      distributor_id: distributorId,
      kind,
      detail: detail.slice(0, 300),
      created_at: ctx.now,
    })
    .execute();
  await ctx.db
    .updateTable('growth_distributors')
    .set({ flagged: 1, flag_reason: kind, updated_at: ctx.now })
    .where('id', '=', distributorId)
    .execute();
}

export type BindOutcome = 'bound' | 'rebound' | 'kept' | 'self' | 'cycle' | 'inactive' | 'off';

/**
 * A buyer arrives through a distributor's link or QR. Rules, in order: distribution must be on and
 * the referrer active; nobody binds to themselves; a distributor never binds to their own downline
 * (that would pay them on their own purchase through level 2); a binding that still holds is kept
 * (the first referral wins); a lapsed one is replaced only if the merchant allows rebinding.
 */
export async function bindBuyer(
  ctx: Ctx,
  input: { accountId: string; openid: string; distributorId: string; source: 'link' | 'qr' | 'admin' },
): Promise<BindOutcome> {
  const settings = await distSettings(ctx);
  if (!settings.enabled) return 'off';
  const referrer = await getDistributor(ctx, input.distributorId);
  if (referrer.status !== 'active' || referrer.account_id !== input.accountId) return 'inactive';
  if (referrer.openid === input.openid) return 'self';
  const buyerAsDistributor = await distributorOfFan(ctx, input.accountId, input.openid);
  if (buyerAsDistributor && (await ancestry(ctx, referrer.id)).includes(buyerAsDistributor.id)) {
    await flag(ctx, referrer.id, 'cycle', `refused binding of upline ${input.openid}`);
    return 'cycle';
  }
  const expiresAt = settings.binding_days > 0 ? ctx.now + settings.binding_days * DAY_MS : null;
  const current = await bindingOf(ctx, input.accountId, input.openid);
  if (current) {
    if (bindingHolds(current, ctx.now) || !settings.rebind_after_expiry) return 'kept';
    const moved = await ctx.db
      .updateTable('growth_dist_bindings')
      .set({ distributor_id: referrer.id, source: input.source, bound_at: ctx.now, expires_at: expiresAt })
      .where('id', '=', current.id)
      .where('distributor_id', '=', current.distributor_id)
      .where('bound_at', '=', current.bound_at)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return 'kept';
    await checkBurst(ctx, referrer.id, settings);
    return 'rebound';
  }
  const inserted = await ctx.db
    .insertInto('growth_dist_bindings')
    .values({
      id: newId('dbd', ctx.now),
      merchant_id: ctx.merchantId,
      account_id: input.accountId,
      openid: input.openid,
      distributor_id: referrer.id,
      source: input.source,
      bound_at: ctx.now,
      expires_at: expiresAt,
      created_at: ctx.now,
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'account_id', 'openid']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return 'kept';
  await checkBurst(ctx, referrer.id, settings);
  return 'bound';
}

/** Many new buyers for one referrer within minutes looks like bought or faked traffic: flag it for a person to look at. */
async function checkBurst(
  ctx: Ctx,
  distributorId: string,
  settings: { burst_buyers: number; burst_minutes: number },
) {
  if (settings.burst_buyers <= 0) return;
  const since = ctx.now - settings.burst_minutes * 60_000;
  const { n } = await ctx.db
    .selectFrom('growth_dist_bindings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('distributor_id', '=', distributorId)
    .where('bound_at', '>=', since)
    .executeTakeFirstOrThrow();
  if (Number(n) !== settings.burst_buyers) return;
  await flag(
    ctx,
    distributorId,
    'burst',
    `${settings.burst_buyers} buyers bound within ${settings.burst_minutes} min`,
  );
}

/** A fan acting on their own distributor row only. */
export function requireFanActor(ctx: Ctx): { accountId: string; openid: string } {
  if (ctx.actor.kind !== 'fan') throw forbidden();
  return { accountId: ctx.actor.accountId, openid: ctx.actor.openid };
}

export function checkJoinNote(note: string | undefined) {
  if (note && note.length > 200)
    throw badRequest('note_too_long', '申请说明最多 200 字', 'At most 200 characters');
}
