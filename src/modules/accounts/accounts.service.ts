import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { type SecretHint, secretHint } from '../../platform/auth/secrets.ts';
import { expiringMap } from '../../platform/cache/cache.ts';
import { AppError, badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId, newSecret } from '../../platform/ids.ts';
import type { Vault } from '../../platform/vault/vault.ts';
import {
  createApiClient,
  type WeChatApiClient,
  WeChatApiError,
  WeChatUnreachableError,
} from '../../wechat/api-client.ts';
import type { MessageMode } from '../../wechat/envelope.ts';
import { createMessageCrypto, isEncodingAesKey, type MessageCrypto } from '../../wechat/message-crypto.ts';
import { callbackSignature } from '../../wechat/signature.ts';
import type { AccountType, OfficialAccountsTable } from './accounts.schema.ts';

export type Account = OfficialAccountsTable;
export type AccountView = Omit<Account, 'app_secret' | 'verified' | 'token' | 'aes_key'> & {
  verified: boolean;
  callback_url: string;
  /** The callback Token, EncodingAESKey and AppSecret are never read back: a mask and a fingerprint. */
  secrets: { token: SecretHint; aes_key: SecretHint | null; app_secret: SecretHint };
};

const NOT_FOUND = { zh: '公众号', en: 'Official account' };

export interface AccountInput {
  name: string;
  appid: string;
  secret: string;
  type: AccountType;
  verified?: boolean;
  token: string;
  aes_key?: string | null;
  mode: MessageMode;
  original_id?: string | null;
}

const SECRET_COLUMNS = ['app_secret', 'token', 'aes_key'] as const;

/** The row as stored: its secrets sealed with the merchant's data key. */
async function sealSecrets(vault: Vault, account: Account): Promise<Account> {
  const sealed = { ...account };
  for (const column of SECRET_COLUMNS) {
    const value = account[column];
    if (value !== null) sealed[column] = await vault.seal(account.merchant_id, value);
  }
  return sealed;
}

async function openSecrets(vault: Vault, row: Account): Promise<Account> {
  const opened = { ...row };
  for (const column of SECRET_COLUMNS) {
    const value = row[column];
    if (value !== null) opened[column] = await vault.open(row.merchant_id, value);
  }
  return opened;
}

/**
 * Seals secrets stored before encryption at rest existed (run at start; a no-op once done).
 * Returns how many accounts it sealed.
 */
export async function sealStoredAccountSecrets(deps: Pick<AppDeps, 'db' | 'vault'>): Promise<number> {
  const rows = await deps.db.selectFrom('official_accounts').selectAll().execute();
  let sealed = 0;
  for (const row of rows) {
    if (SECRET_COLUMNS.every((c) => row[c] === null || deps.vault.isSealed(row[c]))) continue;
    const patch: Partial<Account> = {};
    for (const column of SECRET_COLUMNS) {
      const value = row[column];
      if (value !== null && !deps.vault.isSealed(value))
        patch[column] = await deps.vault.seal(row.merchant_id, value);
    }
    await deps.db.updateTable('official_accounts').set(patch).where('id', '=', row.id).execute();
    sealed += 1;
  }
  return sealed;
}

export function callbackUrl(publicUrl: string, appid: string): string {
  return `${publicUrl}/wechat/${appid}`;
}

/**
 * What the API shows, to every role: no secret. Whoever holds the callback Token or the AES key
 * can forge WeChat's pushes, and the AppSecret is the account's API password.
 */
export function accountView(account: Account, publicUrl: string): AccountView {
  const { app_secret, token, aes_key, verified, ...rest } = account;
  return {
    ...rest,
    verified: verified === 1,
    callback_url: callbackUrl(publicUrl, account.appid),
    secrets: {
      token: secretHint(token),
      aes_key: aes_key ? secretHint(aes_key) : null,
      app_secret: secretHint(app_secret),
    },
  };
}

function validate(input: Partial<AccountInput>): void {
  if (input.appid !== undefined && !/^wx[0-9a-zA-Z]{14,18}$/.test(input.appid)) {
    throw badRequest(
      'invalid_appid',
      'AppID 格式不正确（wx 开头，共 16–20 位）',
      'AppID must look like wx + 14–18 letters/digits',
    );
  }
  if (input.token !== undefined && !/^[A-Za-z0-9]{3,32}$/.test(input.token)) {
    throw badRequest(
      'invalid_token',
      'Token 必须为 3–32 位英文或数字',
      'Token must be 3–32 letters or digits',
    );
  }
  if (input.aes_key && !isEncodingAesKey(input.aes_key)) {
    throw badRequest(
      'invalid_aes_key',
      'EncodingAESKey 必须为 43 位字符',
      'EncodingAESKey must be 43 characters',
    );
  }
  if (input.mode && input.mode !== 'plain' && !input.aes_key) {
    throw badRequest(
      'aes_key_required',
      '兼容模式与安全模式需要 EncodingAESKey',
      'Compatible and safe modes need an EncodingAESKey',
    );
  }
}

export async function createAccount(
  ctx: Ctx,
  deps: Pick<AppDeps, 'onAccountSaved'>,
  input: AccountInput,
): Promise<Account> {
  requireRole(ctx, 'operator');
  validate(input);
  const taken = await ctx.db
    .selectFrom('official_accounts')
    .select('id')
    .where('appid', '=', input.appid)
    .executeTakeFirst();
  if (taken) throw conflict('appid_taken', '该 AppID 已被接入', 'This AppID is already connected');
  const account: Account = {
    id: newId('acc', ctx.now),
    merchant_id: ctx.merchantId,
    name: input.name,
    appid: input.appid,
    original_id: input.original_id ?? null,
    type: input.type,
    verified: input.verified === false ? 0 : 1,
    app_secret: input.secret,
    token: input.token,
    aes_key: input.aes_key ?? null,
    mode: input.mode,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  await ctx.db
    .insertInto('official_accounts')
    .values(await sealSecrets(ctx.deps.vault, account))
    .execute();
  forgetAccount(ctx, account.appid);
  await deps.onAccountSaved?.(account);
  return account;
}

export async function listAccounts(ctx: Ctx): Promise<Account[]> {
  const rows = await ctx.db
    .selectFrom('official_accounts')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at')
    .execute();
  return Promise.all(rows.map((row) => openSecrets(ctx.deps.vault, row)));
}

/** Every merchant's accounts, ids only (no secrets): for system jobs that visit each account. */
export async function listAllAccountIds(
  db: AppDeps['db'],
): Promise<Array<{ id: string; merchant_id: string; type: AccountType }>> {
  return db.selectFrom('official_accounts').select(['id', 'merchant_id', 'type']).orderBy('id').execute();
}

export async function getAccount(ctx: Ctx, id: string): Promise<Account> {
  const account = await ctx.db
    .selectFrom('official_accounts')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!account) throw notFound(NOT_FOUND);
  return openSecrets(ctx.deps.vault, account);
}

export async function updateAccount(
  ctx: Ctx,
  deps: Pick<AppDeps, 'onAccountSaved'>,
  id: string,
  patch: Partial<Omit<AccountInput, 'appid'>>,
): Promise<Account> {
  requireRole(ctx, 'operator');
  // Replacing a secret is the owner's: it can lock the account out of WeChat.
  if (patch.secret !== undefined || patch.token !== undefined || patch.aes_key !== undefined)
    requireRole(ctx, 'owner');
  const current = await getAccount(ctx, id);
  const next = {
    ...patch,
    mode: patch.mode ?? current.mode,
    aes_key: patch.aes_key === undefined ? current.aes_key : patch.aes_key,
  };
  validate(next);
  const { secret, verified, token, aes_key, ...rest } = patch;
  const seal = (value: string) => ctx.deps.vault.seal(ctx.merchantId, value);
  await ctx.db
    .updateTable('official_accounts')
    .set({
      ...rest,
      ...(secret === undefined ? {} : { app_secret: await seal(secret) }),
      ...(token === undefined ? {} : { token: await seal(token) }),
      ...(aes_key === undefined ? {} : { aes_key: aes_key === null ? null : await seal(aes_key) }),
      ...(verified === undefined ? {} : { verified: verified ? 1 : 0 }),
      updated_at: ctx.now,
    })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  forgetAccount(ctx, current.appid);
  const updated = await getAccount(ctx, id);
  await deps.onAccountSaved?.(updated);
  return updated;
}

export async function deleteAccount(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'owner');
  const account = await getAccount(ctx, id);
  await ctx.db
    .deleteFrom('official_accounts')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  forgetAccount(ctx, account.appid);
}

type CallbackAccount = { account: Account; crypto: MessageCrypto | null } | null;

// The callback path looks an account up on every push; a short cache in the app keeps that off
// the database. Edits in this app clear it at once, other processes within the TTL.
const byAppId = (deps: Pick<AppDeps, 'local'>) =>
  deps.local.slot('accounts.byAppId', () => expiringMap<CallbackAccount>(10_000));

function forgetAccount(ctx: Pick<Ctx, 'deps'>, appid: string): void {
  byAppId(ctx.deps).delete(appid);
}

/** For WeChat callbacks: which merchant's account an AppID belongs to, with its message crypto. */
export async function accountForCallback(
  deps: Pick<AppDeps, 'db' | 'local' | 'vault'>,
  appid: string,
  now: number,
): Promise<CallbackAccount> {
  const cache = byAppId(deps);
  const hit = cache.get(appid, now);
  if (hit !== undefined) return hit;
  const row = await deps.db
    .selectFrom('official_accounts')
    .selectAll()
    .where('appid', '=', appid)
    .executeTakeFirst();
  const account = row ? await openSecrets(deps.vault, row) : null;
  const crypto = account?.aes_key ? createMessageCrypto(account.aes_key, account.appid) : null;
  const found = account ? { account, crypto } : null;
  cache.set(appid, found, now);
  return found;
}

/** A WeChat API client for the account, sharing access tokens through the app cache. */
export function apiClientFor(
  deps: Pick<AppDeps, 'config' | 'cache' | 'wechatFetch' | 'wechatTransport' | 'local'>,
  account: Account,
): WeChatApiClient {
  return createApiClient({
    baseUrl: deps.config.wechatApiBase,
    appId: account.appid,
    secret: account.app_secret,
    store: deps.cache,
    refreshing: deps.local.slot('accounts.tokenRefreshes', () => new Map<string, Promise<string>>()),
    fetch: deps.wechatFetch,
    transport: deps.wechatTransport,
  });
}

/** Runs a WeChat API call and turns WeChat's refusal into an error the console can show. */
export async function viaWeChat<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WeChatApiError) {
      throw new AppError(502, `wechat_${error.errcode}`, {
        zh: `微信接口返回错误 ${error.errcode}：${error.errmsg}`,
        en: `WeChat refused with ${error.errcode}: ${error.errmsg}`,
      });
    }
    if (error instanceof WeChatUnreachableError) {
      throw new AppError(502, 'wechat_unreachable', {
        zh: '无法连接微信接口，请稍后再试',
        en: 'WeChat API unreachable, try again later',
      });
    }
    throw error;
  }
}

/**
 * Checks the account's callback the way WeChat's console does when an operator saves the server
 * settings: a signed GET with an echostr that must come back unchanged.
 */
export async function verifyCallback(ctx: Ctx, deps: Pick<AppDeps, 'config' | 'wechatFetch'>, id: string) {
  const account = await getAccount(ctx, id);
  const url = callbackUrl(deps.config.publicUrl, account.appid);
  const timestamp = String(Math.floor(ctx.now / 1000));
  const nonce = newSecret(6);
  const echostr = newSecret(9);
  const query = new URLSearchParams({
    signature: callbackSignature(account.token, timestamp, nonce),
    timestamp,
    nonce,
    echostr,
  });
  try {
    const response = await deps.wechatFetch(`${url}?${query}`, { signal: AbortSignal.timeout(5000) });
    const body = (await response.text()).trim();
    return { url, ok: response.status === 200 && body === echostr, status: response.status };
  } catch (error) {
    return { url, ok: false, status: 0, error: (error as Error).message };
  }
}
