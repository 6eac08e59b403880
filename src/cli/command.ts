import type { Kysely } from 'kysely';
import { loadConfig } from '../config.ts';
import type { DB } from '../database.ts';
import { findMerchantBySlug } from '../modules/tenants/tenants.service.ts';
import { type DialectName, openDatabase } from '../platform/db/database.ts';
import { migrateToLatest } from '../platform/db/migrate.ts';

export class UsageError extends Error {}

export type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; description: string }>;
  run(values: Values): Promise<void>;
}

export interface CliCtx {
  db: Kysely<DB>;
  dialect: DialectName;
  now: number;
}

/** Opens (and migrates) the configured database for one command, and closes it after. */
export async function withDatabase<T>(work: (ctx: CliCtx) => Promise<T>): Promise<T> {
  const database = openDatabase<DB>(loadConfig(process.env).database);
  try {
    await migrateToLatest(database.db as Kysely<unknown>);
    return await work({ db: database.db, dialect: database.dialect, now: Date.now() });
  } finally {
    await database.close();
  }
}

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
