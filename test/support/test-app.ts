import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { type BuildOptions, buildApp, type Weiloop } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { SystemCtx } from '../../src/context.ts';
import { accountForCallback } from '../../src/modules/accounts/index.ts';
import { addMember, createApiToken, createMerchant } from '../../src/modules/tenants/index.ts';
import type { Role } from '../../src/platform/auth/roles.ts';
import { manualClock } from '../../src/platform/clock.ts';
import { newSecret } from '../../src/platform/ids.ts';

/** Which engines this run tests: SQLite always, PostgreSQL/Redis when CI sets their URLs. */
export const engine = process.env.DATABASE_URL?.startsWith('postgres') ? 'postgres' : 'sqlite';

/**
 * A fresh, private database for one test file: a temp SQLite file, or a new PostgreSQL schema
 * on DATABASE_URL. Returns the config and a cleanup.
 */
export async function testDatabase(): Promise<{ database: Config['database']; cleanup(): Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url?.startsWith('postgres')) {
    const schema = `t_${newSecret(6)
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    return {
      database: { kind: 'postgres', url, schema },
      async cleanup() {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`drop schema ${schema} cascade`);
        await client.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'weiloop-test-'));
  return {
    database: { kind: 'sqlite', path: join(dir, 'test.db') },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TestApp extends Weiloop {
  clock: ReturnType<typeof manualClock>;
  system(): SystemCtx;
  /** A merchant with an owner login and an API token of the given role. */
  merchant(
    slug: string,
    role?: Role,
  ): Promise<{ id: string; token: string; email: string; password: string }>;
  /**
   * Headers that sign a request in as the merchant owning `appid`, for the simulator's control
   * API (acting as a fan takes the owner's console).
   */
  simAuth(appid: string): Promise<Record<string, string>>;
  /** Shorthand for app.inject with a Bearer token and JSON body. */
  call(
    token: string | null,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response fields they assert on
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
}

export async function createTestApp(
  overrides: Partial<Config> = {},
  options: BuildOptions = {},
): Promise<TestApp> {
  const { database, cleanup } = await testDatabase();
  const clock = manualClock();
  const config = loadConfig(
    {
      PORT: '0',
      LOG_LEVEL: 'silent',
      REDIS_URL: process.env.REDIS_URL,
      REDIS_PREFIX: `test:${newSecret(6)}:`,
    },
    {
      database,
      demo: false,
      worker: false,
      // On PostgreSQL there is no database file to keep the key beside: each test app gets its own.
      ...(database.kind === 'postgres'
        ? {
            masterKey: {
              env: randomBytes(32).toString('base64'),
              file: join(tmpdir(), `weiloop-${database.schema}.key`),
            },
          }
        : {}),
      ...overrides,
    },
  );
  const weiloop = await buildApp(config, {
    clock,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...options,
  });
  const system = () => ({ db: weiloop.deps.db, dialect: weiloop.deps.dialect, now: clock.now() });
  const simTokens = new Map<string, string>();
  return {
    ...weiloop,
    clock,
    system,
    async close() {
      await weiloop.close();
      await cleanup();
    },
    async merchant(slug, role = 'owner') {
      const merchant = await createMerchant(system(), { slug, name: `商户 ${slug}` });
      const email = `owner@${slug}.test`;
      const password = 'correct-horse-9';
      await addMember({ ...system(), merchantId: merchant.id }, { email, password, role: 'owner' });
      const { token } = await createApiToken(
        { ...system(), merchantId: merchant.id },
        { name: 'test', role },
      );
      return { id: merchant.id, token, email, password };
    },
    async simAuth(appid) {
      const found = await accountForCallback(weiloop.deps, appid, clock.now());
      if (!found) return {} as Record<string, string>;
      const merchantId = found.account.merchant_id;
      let token = simTokens.get(merchantId);
      if (!token) {
        token = (await createApiToken({ ...system(), merchantId }, { name: 'simulator', role: 'operator' }))
          .token;
        simTokens.set(merchantId, token);
      }
      return { authorization: `Bearer ${token}` };
    },
    async call(token, method, url, body) {
      const response = await weiloop.app.inject({
        method,
        url,
        headers: token ? { authorization: `Bearer ${token}` } : {},
        ...(body === undefined ? {} : { payload: body as object }),
      });
      const text = response.body;
      return {
        status: response.statusCode,
        body: text && response.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text,
        headers: response.headers,
      };
    },
  };
}
