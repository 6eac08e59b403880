import pino from 'pino';
import { openApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { type Ctx, merchantCtx, type SystemCtx } from '../context.ts';
import type { AppDeps } from '../deps.ts';
import { accountForCallback } from '../modules/accounts/index.ts';
import { createApiToken, findMerchantBySlug, revokeApiToken } from '../modules/tenants/index.ts';

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; description: string }>;
  run(values: Values): Promise<void>;
}

export interface CliCtx extends SystemCtx {
  deps: AppDeps;
}

/** Opens (and migrates) the configured database and the app's services for one command, and closes them after. */
export async function withDatabase<T>(work: (ctx: CliCtx) => Promise<T>): Promise<T> {
  const config = loadConfig(process.env);
  const core = await openApp(config, { logger: pino({ level: 'silent' }) });
  try {
    const { deps } = core;
    return await work({ db: deps.db, dialect: deps.dialect, now: deps.clock.now(), deps });
  } finally {
    await core.close();
  }
}

/** A merchant's service context for a CLI command, acting as the system. */
export const cliMerchantCtx = (ctx: CliCtx, merchantId: string): Ctx => merchantCtx(ctx.deps, merchantId);

export function required(values: Values, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

export function optional(values: Values, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export async function merchantBySlug(ctx: CliCtx, slug: string) {
  const merchant = await findMerchantBySlug(ctx, slug);
  if (!merchant)
    throw new UsageError(
      `no merchant with slug "${slug}" (create it with: merchant add --slug ${slug} --name …)`,
    );
  return merchant;
}

export function write(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Runs `work` with headers that sign it in to a running server's simulator as the merchant that
 * owns `appid` (acting as a fan takes the owner's sign-in): a token minted for the call, revoked after.
 */
export async function asAccountOwner<T>(
  appid: string,
  work: (headers: Record<string, string>) => Promise<T>,
) {
  const minted = await withDatabase(async (ctx) => {
    const found = await accountForCallback(ctx.deps, appid, ctx.now);
    if (!found) throw new UsageError(`no account with AppID ${appid} (connect it with: account add …)`);
    const merchantId = found.account.merchant_id;
    return {
      merchantId,
      ...(await createApiToken({ ...ctx, merchantId }, { name: 'cli-simulator', role: 'operator' })),
    };
  });
  try {
    return await work({ authorization: `Bearer ${minted.token}` });
  } finally {
    await withDatabase((ctx) => revokeApiToken(cliMerchantCtx(ctx, minted.merchantId), minted.id));
  }
}
