import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, engine, type TestApp, testDatabase } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

const run = promisify(execFile);
let database: Config['database'];
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;
const dir = mkdtempSync(join(tmpdir(), 'weiloop-backup-'));
// One master key for the app before and after: it is kept apart from the backups, as README says.
const masterKey = { env: randomBytes(32).toString('base64'), file: join(dir, 'master.key') };

async function weiloop(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/main.ts', ...args], {
      env,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Every row of every table, in a stable order: what "the same data" means. */
async function snapshot(t: TestApp): Promise<Record<string, unknown[]>> {
  const tables =
    engine === 'sqlite'
      ? await sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '%fts%' order by name`.execute(
          t.deps.db,
        )
      : await sql<{
          name: string;
        }>`select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`.execute(
          t.deps.db,
        );
  const result: Record<string, unknown[]> = {};
  for (const { name } of tables.rows) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(t.deps.db);
    result[name] = rows.rows.map((r) => JSON.stringify(r)).sort();
  }
  return result;
}

async function wipe(): Promise<void> {
  if (database.kind === 'sqlite') {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${database.path}${suffix}`, { force: true });
    return;
  }
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  await client.query(`drop schema ${database.schema} cascade`);
  await client.query(`create schema ${database.schema}`);
  await client.end();
}

let before: Record<string, unknown[]>;
let orderId: string;
let token: string;

beforeAll(async () => {
  ({ database, cleanup } = await testDatabase());
  env = {
    ...process.env,
    LOG_LEVEL: 'silent',
    DATABASE_URL:
      database.kind === 'sqlite'
        ? database.path
        : `${database.url}?options=-c%20search_path%3D${database.schema}`,
  };
  // A shop with a paid order, as a merchant would have it.
  const t = await createTestApp({ database, masterKey });
  const m = await t.merchant('backup-shop');
  token = m.token;
  const { appid } = await connectAccount(t, token);
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: true });
  const product = await t.call(token, 'POST', '/api/v1/products', {
    title: '备份演练商品',
    status: 'on_sale',
    skus: [{ spec: {}, price: 2990, stock: 5 }],
  });
  const cookie = await fanSession(t, appid, 'o_backup');
  const placed = await shop(t, cookie, appid, 'POST', '/orders', {
    items: [{ sku_id: product.body.skus[0].id, quantity: 1 }],
    address: { name: '王五', phone: '13700137000', region: '北京市', detail: '长安街 1 号' },
    payment_method: 'wechat',
  });
  orderId = placed.body.id;
  const pay = await shop(t, cookie, appid, 'POST', `/orders/${orderId}/pay`);
  await confirmPay(t, pay.body.pay_params, 'o_backup');
  await until(
    async () => (await t.call(token, 'GET', `/api/v1/orders/${orderId}`)).body.status,
    (s) => s === 'paid',
  );
  before = await snapshot(t);
  // Backed up while the server is running: the online backup needs no downtime.
  const backup = await weiloop('backup', '--out', join(dir, 'drill.backup'));
  expect(backup.stderr).toBe('');
  expect(backup.code).toBe(0);
  expect(backup.stdout).toContain('master key');
  await t.close(); // the app's own spare database goes; ours stays
});
afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('backup and restore drill', () => {
  it('refuses to overwrite a database that holds data, without --force', async () => {
    const refused = await weiloop('restore', '--from', join(dir, 'drill.backup'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/database is in use.*--force/);
  });

  it('refuses a file that is not a backup, and a backup that would overwrite an earlier one', async () => {
    const bogus = await weiloop('restore', '--from', join(dir, 'nothing-here'));
    expect(bogus.stderr).toContain('no backup at');
    const again = await weiloop('backup', '--out', join(dir, 'drill.backup'));
    expect(again.stderr).toContain('already exists');
  });

  it('restores a wiped database: same rows, the server starts, the paid order is still paid', async () => {
    await wipe();
    const restored = await weiloop('restore', '--from', join(dir, 'drill.backup'));
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);

    const t = await createTestApp({ database, masterKey });
    try {
      expect(await snapshot(t)).toEqual(before);
      expect((await t.call(null, 'GET', '/healthz')).status).toBe(200);
      const order = await t.call(token, 'GET', `/api/v1/orders/${orderId}`);
      expect(order.body).toMatchObject({ status: 'paid', total: 2990 });
      // With its master key beside it, the restored database still opens its sealed Pay secrets.
      const settings = await t.deps.db.selectFrom('payment_settings').selectAll().executeTakeFirstOrThrow();
      expect(await t.deps.vault.open(settings.merchant_id, settings.api_v3_key)).toHaveLength(32);
    } finally {
      await t.close();
    }
  });

  it('replaces a live database only with --force, keeping the replaced SQLite file', async () => {
    const forced = await weiloop('restore', '--from', join(dir, 'drill.backup'), '--force');
    expect(forced.code).toBe(0);
    if (engine === 'sqlite') {
      const saved = /saved to (\S+)/.exec(forced.stdout)?.[1];
      expect(saved && existsSync(saved)).toBe(true);
    }
  });
});
