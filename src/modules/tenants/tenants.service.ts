import type { Ctx, SystemCtx } from '../../context.ts';
import { hashPassword, verifyPassword } from '../../platform/auth/password.ts';
import { ROLES, type Role, requireRole } from '../../platform/auth/roles.ts';
import { hashToken } from '../../platform/auth/secrets.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { AppError, badRequest, conflict, forbidden, notFound } from '../../platform/http/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import { forgetApiToken } from './api-token-cache.ts';
import type { MerchantsTable } from './tenants.schema.ts';

export const SESSION_TTL_MS = 7 * 24 * 3_600_000;
const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,39}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
export const MIN_PASSWORD_LENGTH = 8;

export type Merchant = Pick<MerchantsTable, 'id' | 'slug' | 'name' | 'timezone' | 'created_at'>;

export async function createMerchant(
  ctx: SystemCtx,
  input: { slug: string; name: string; timezone?: string },
): Promise<Merchant> {
  if (!SLUG_PATTERN.test(input.slug)) {
    throw badRequest(
      'invalid_slug',
      '商户标识只能包含小写字母、数字和连字符',
      'Slug must be lowercase letters, digits and -',
    );
  }
  const existing = await ctx.db
    .selectFrom('merchants')
    .select('id')
    .where('slug', '=', input.slug)
    .executeTakeFirst();
  if (existing)
    throw conflict('slug_taken', `商户标识 ${input.slug} 已被使用`, `Slug ${input.slug} is taken`);
  const merchant: Merchant = {
    id: newId('mch', ctx.now),
    slug: input.slug,
    name: input.name,
    timezone: input.timezone ?? 'Asia/Shanghai',
    created_at: ctx.now,
  };
  await ctx.db.insertInto('merchants').values(merchant).execute();
  return merchant;
}

/** Whether any merchant exists (an empty database gets the demo). */
export async function hasMerchants(ctx: SystemCtx): Promise<boolean> {
  return Boolean(await ctx.db.selectFrom('merchants').select('id').limit(1).executeTakeFirst());
}

export async function findMerchantBySlug(ctx: SystemCtx, slug: string): Promise<Merchant | undefined> {
  return ctx.db.selectFrom('merchants').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function getMerchant(ctx: Ctx): Promise<Merchant> {
  const merchant = await ctx.db
    .selectFrom('merchants')
    .selectAll()
    .where('id', '=', ctx.merchantId)
    .executeTakeFirst();
  if (!merchant) throw notFound({ zh: '商户', en: 'Merchant' });
  return merchant;
}

export async function updateMerchant(
  ctx: Ctx,
  patch: { name?: string; timezone?: string },
): Promise<Merchant> {
  requireRole(ctx, 'owner');
  if (patch.timezone !== undefined && !isTimeZone(patch.timezone)) {
    throw badRequest(
      'invalid_timezone',
      `无效的时区：${patch.timezone}`,
      `Unknown time zone: ${patch.timezone}`,
    );
  }
  if (patch.name !== undefined || patch.timezone !== undefined) {
    await ctx.db.updateTable('merchants').set(patch).where('id', '=', ctx.merchantId).execute();
  }
  return getMerchant(ctx);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export interface MemberView {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: number;
}

/** Adds a person to the merchant with a role, creating their login if they have none yet. */
export async function addMember(
  ctx: SystemCtx & { merchantId: string },
  input: { email: string; name?: string; password?: string; role: Role },
): Promise<MemberView> {
  const email = input.email.trim().toLowerCase();
  if (!EMAIL_PATTERN.test(email))
    throw badRequest('invalid_email', '邮箱格式不正确', 'Invalid email address');
  if (!ROLES.includes(input.role)) throw badRequest('invalid_role', '角色无效', 'Invalid role');
  if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
    throw badRequest(
      'weak_password',
      `密码至少 ${MIN_PASSWORD_LENGTH} 位`,
      `Password needs ${MIN_PASSWORD_LENGTH}+ characters`,
    );
  }
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return inTransaction(ctx.db, async (trx) => {
    let user = await trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    if (!user) {
      if (!passwordHash)
        throw badRequest('password_required', '新用户需要设置密码', 'A new user needs a password');
      user = {
        id: newId('usr', ctx.now),
        email,
        name: input.name ?? email,
        password_hash: passwordHash,
        created_at: ctx.now,
      };
      await trx.insertInto('users').values(user).execute();
    }
    const existing = await trx
      .selectFrom('memberships')
      .select('role')
      .where('merchant_id', '=', ctx.merchantId)
      .where('user_id', '=', user.id)
      .executeTakeFirst();
    if (existing) throw conflict('already_member', '该用户已是成员', 'This user is already a member');
    await trx
      .insertInto('memberships')
      .values({ merchant_id: ctx.merchantId, user_id: user.id, role: input.role, created_at: ctx.now })
      .execute();
    return { user_id: user.id, email: user.email, name: user.name, role: input.role, created_at: ctx.now };
  });
}

export async function listMembers(ctx: Ctx): Promise<MemberView[]> {
  return ctx.db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'users.id as user_id',
      'users.email',
      'users.name',
      'memberships.role',
      'memberships.created_at',
    ])
    .where('memberships.merchant_id', '=', ctx.merchantId)
    .orderBy('memberships.created_at')
    .execute();
}

export async function changeMemberRole(ctx: Ctx, userId: string, role: Role): Promise<MemberView> {
  requireRole(ctx, 'owner');
  await assertNotLastOwner(ctx, userId, role);
  const result = await ctx.db
    .updateTable('memberships')
    .set({ role })
    .where('merchant_id', '=', ctx.merchantId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw notFound({ zh: '成员', en: 'Member' });
  const member = (await listMembers(ctx)).find((m) => m.user_id === userId);
  if (!member) throw notFound({ zh: '成员', en: 'Member' });
  return member;
}

export async function removeMember(ctx: Ctx, userId: string): Promise<void> {
  requireRole(ctx, 'owner');
  await assertNotLastOwner(ctx, userId, null);
  const revoked = await inTransaction(ctx.db, async (trx) => {
    const result = await trx
      .deleteFrom('memberships')
      .where('merchant_id', '=', ctx.merchantId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound({ zh: '成员', en: 'Member' });
    await trx
      .deleteFrom('sessions')
      .where('merchant_id', '=', ctx.merchantId)
      .where('user_id', '=', userId)
      .execute();
    // A departing member's API tokens leave with them (a script they wrote keeps no access).
    return trx
      .updateTable('api_tokens')
      .set({ revoked_at: ctx.now })
      .where('merchant_id', '=', ctx.merchantId)
      .where('created_by', '=', userId)
      .where('revoked_at', 'is', null)
      .returning('token_hash')
      .execute();
  });
  for (const { token_hash } of revoked) await forgetApiToken(ctx.deps, token_hash);
}

async function assertNotLastOwner(ctx: Ctx, userId: string, newRole: Role | null): Promise<void> {
  if (newRole === 'owner') return;
  const owners = await ctx.db
    .selectFrom('memberships')
    .select('user_id')
    .where('merchant_id', '=', ctx.merchantId)
    .where('role', '=', 'owner')
    .execute();
  if (owners.length === 1 && owners[0]?.user_id === userId) {
    throw conflict('last_owner', '不能移除最后一位所有者', 'The last owner cannot be removed or demoted');
  }
}

export interface LoginResult {
  token: string;
  userId: string;
  merchantId: string;
  expiresAt: number;
}

/** Checks email and password; opens a session on `merchantSlug` or the user's first merchant. */
export async function login(
  ctx: SystemCtx,
  input: { email: string; password: string; merchantSlug?: string },
): Promise<LoginResult> {
  const user = await ctx.db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', input.email.trim().toLowerCase())
    .executeTakeFirst();
  // Same message and same work whether the email or the password was wrong.
  const ok = await verifyPassword(input.password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !ok) {
    throw new AppError(401, 'invalid_credentials', { zh: '邮箱或密码错误', en: 'Wrong email or password' });
  }
  let query = ctx.db
    .selectFrom('memberships')
    .innerJoin('merchants', 'merchants.id', 'memberships.merchant_id')
    .select(['memberships.merchant_id'])
    .where('memberships.user_id', '=', user.id)
    .orderBy('memberships.created_at');
  if (input.merchantSlug) query = query.where('merchants.slug', '=', input.merchantSlug);
  const membership = await query.executeTakeFirst();
  if (!membership) throw forbidden('您不属于该商户', 'You are not a member of that merchant');
  const token = newSecret();
  const expiresAt = ctx.now + SESSION_TTL_MS;
  await ctx.db
    .insertInto('sessions')
    .values({
      token_hash: hashToken(token),
      user_id: user.id,
      merchant_id: membership.merchant_id,
      expires_at: expiresAt,
      created_at: ctx.now,
    })
    .execute();
  await ctx.db.deleteFrom('sessions').where('expires_at', '<', ctx.now).execute();
  return { token, userId: user.id, merchantId: membership.merchant_id, expiresAt };
}

const DUMMY_HASH =
  'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';

export async function logout(ctx: SystemCtx, token: string): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

export interface Principal {
  merchantId: string;
  role: Role;
  actor: { kind: 'user'; userId: string; role: Role } | { kind: 'token'; tokenId: string; role: Role };
}

export async function resolveSession(ctx: SystemCtx, token: string): Promise<Principal | null> {
  const row = await ctx.db
    .selectFrom('sessions')
    .innerJoin('memberships', (join) =>
      join
        .onRef('memberships.user_id', '=', 'sessions.user_id')
        .onRef('memberships.merchant_id', '=', 'sessions.merchant_id'),
    )
    .select(['sessions.user_id', 'sessions.merchant_id', 'sessions.expires_at', 'memberships.role'])
    .where('sessions.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.expires_at < ctx.now) return null;
  return {
    merchantId: row.merchant_id,
    role: row.role,
    actor: { kind: 'user', userId: row.user_id, role: row.role },
  };
}

/** Moves a session to another merchant the same user belongs to. */
export async function switchMerchant(
  ctx: SystemCtx,
  token: string,
  userId: string,
  merchantId: string,
): Promise<void> {
  const membership = await ctx.db
    .selectFrom('memberships')
    .select('role')
    .where('user_id', '=', userId)
    .where('merchant_id', '=', merchantId)
    .executeTakeFirst();
  if (!membership) throw forbidden('您不属于该商户', 'You are not a member of that merchant');
  await ctx.db
    .updateTable('sessions')
    .set({ merchant_id: merchantId })
    .where('token_hash', '=', hashToken(token))
    .execute();
}

export async function listUserMerchants(ctx: SystemCtx, userId: string) {
  return ctx.db
    .selectFrom('memberships')
    .innerJoin('merchants', 'merchants.id', 'memberships.merchant_id')
    .select(['merchants.id', 'merchants.slug', 'merchants.name', 'memberships.role'])
    .where('memberships.user_id', '=', userId)
    .orderBy('memberships.created_at')
    .execute();
}

export interface ApiTokenView {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  last_used_at: number | null;
}

/** Creates an integrator token. The secret is returned once and stored only as a hash. */
export async function createApiToken(
  ctx: SystemCtx & { merchantId: string; actor?: Ctx['actor'] },
  input: { name: string; role: Role },
): Promise<ApiTokenView & { token: string }> {
  const id = newId('tok', ctx.now);
  const token = `wl_${newSecret()}`;
  await ctx.db
    .insertInto('api_tokens')
    .values({
      id,
      merchant_id: ctx.merchantId,
      name: input.name,
      role: input.role,
      token_hash: hashToken(token),
      created_at: ctx.now,
      last_used_at: null,
      revoked_at: null,
      created_by: ctx.actor?.kind === 'user' ? ctx.actor.userId : null,
    })
    .execute();
  return { id, name: input.name, role: input.role, created_at: ctx.now, last_used_at: null, token };
}

export async function listApiTokens(ctx: Ctx): Promise<ApiTokenView[]> {
  return ctx.db
    .selectFrom('api_tokens')
    .select(['id', 'name', 'role', 'created_at', 'last_used_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
}

export async function revokeApiToken(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'owner');
  const revoked = await ctx.db
    .updateTable('api_tokens')
    .set({ revoked_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returning('token_hash')
    .executeTakeFirst();
  if (!revoked) throw notFound({ zh: 'API 令牌', en: 'API token' });
  // Verified tokens are cached in-process for a few seconds: the revoked one must stop now.
  await forgetApiToken(ctx.deps, revoked.token_hash);
}

const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export async function resolveApiToken(ctx: SystemCtx, token: string): Promise<Principal | null> {
  const row = await ctx.db
    .selectFrom('api_tokens')
    .select(['id', 'merchant_id', 'role', 'last_used_at'])
    .where('token_hash', '=', hashToken(token))
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  // Writing on every request would make reads into writes; a minute's precision is enough.
  if (!row.last_used_at || ctx.now - row.last_used_at > TOKEN_TOUCH_INTERVAL_MS) {
    await ctx.db.updateTable('api_tokens').set({ last_used_at: ctx.now }).where('id', '=', row.id).execute();
  }
  return {
    merchantId: row.merchant_id,
    role: row.role,
    actor: { kind: 'token', tokenId: row.id, role: row.role },
  };
}
