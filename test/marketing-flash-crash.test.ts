import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/platform/auth/secrets.ts';
import { shop } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

const STOCK = 40;
const BUYERS = 120;
let t: TestApp;
let owner: string;
let merchantId: string;
let appid: string;
let saleId: string;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('crash-shop');
  owner = m.token;
  merchantId = m.id;
  const account = await connectAccount(t, owner, { mode: 'plain' });
  appid = account.appid;
  const product = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '旗舰手机',
      status: 'on_sale',
      skus: [{ spec: {}, price: 199_900, stock: 1_000 }],
    })
  ).body;
  // The child runs on the real clock: the sale is open now, whatever the test's clock says.
  saleId = (
    await t.call(owner, 'POST', '/api/v1/flash-sales', {
      title: '限量首发',
      product_id: product.id,
      sku_id: product.skus[0].id,
      price: 99_900,
      stock: STOCK,
      opens_at: 0,
      closes_at: Date.now() + 3_600_000,
    })
  ).body.id;
  await t.deps.db
    .insertInto('fan_sessions')
    .values(
      Array.from({ length: BUYERS }, (_, i) => ({
        token_hash: hashToken(`crash${i}`),
        merchant_id: merchantId,
        account_id: account.id,
        openid: `o_crash_${i}`,
        expires_at: Date.now() + 86_400_000,
        created_at: 0,
      })),
    )
    .execute();
});
let child: ChildProcess | null = null;
afterAll(async () => {
  // Whatever happened in the test, the second process never outlives it.
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await t.close();
});

describe('a process dying mid-sale', () => {
  it('leaves every reported "got one" an order, and the gate agrees with the database once rebuilt', async () => {
    const { config } = t.deps;
    child = fork(join(import.meta.dirname, 'support', 'flash-crash-child.ts'), {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: {
        ...process.env,
        CRASH_SETUP: JSON.stringify({
          database: config.database,
          masterKey: config.masterKey,
          redisUrl: config.redisUrl,
          redisPrefix: config.redisPrefix,
          appid,
          saleId,
          buyers: BUYERS,
        }),
      },
    });
    const reported: string[] = [];
    const seller = child;
    await new Promise<void>((resolve, reject) => {
      seller.on('exit', () => resolve());
      seller.on('error', reject);
      seller.on('message', (m: { got?: string; error?: string }) => {
        if (m.error) reject(new Error(`the second process could not sell: ${m.error}`));
        if (m.got) reported.push(m.got);
        // Mid-sale: some units sold, others in flight, when the process is killed outright.
        if (reported.length === 12) seller.kill('SIGKILL');
      });
    });
    expect(reported.length).toBeGreaterThanOrEqual(12);

    const orders = async () =>
      t.deps.db
        .selectFrom('orders')
        .select(['id', 'openid'])
        .where('merchant_id', '=', merchantId)
        .where('source', '=', 'flash_sale')
        .execute();
    const passes = async () =>
      t.deps.db.selectFrom('flash_passes').select('order_id').where('sale_id', '=', saleId).execute();
    const afterCrash = await orders();
    const ids = new Set(afterCrash.map((o) => o.id));
    expect(reported.every((id) => ids.has(id))).toBe(true);
    expect((await passes()).map((p) => p.order_id).sort()).toEqual([...ids].sort());

    const rebuilt = (await t.call(owner, 'POST', `/api/v1/flash-sales/${saleId}/resync`)).body;
    expect(rebuilt.sold).toBe(afterCrash.length);
    expect(rebuilt.gate_left).toBe(STOCK - afterCrash.length);

    // This process sells the rest: never more orders than stock, one per buyer.
    for (let i = 0; i < BUYERS; i++) {
      await shop(t, `wl_fan=crash${i}`, appid, 'POST', `/flash-sales/${saleId}/buy`, {
        address: { name: '买家', phone: '13800138000', region: '北京', detail: '清河 1 号' },
      });
    }
    const final = await orders();
    expect(final).toHaveLength(STOCK);
    expect(new Set(final.map((o) => o.openid)).size).toBe(STOCK);
    expect((await passes()).length).toBe(STOCK);
    const board = (await t.call(owner, 'GET', `/api/v1/flash-sales/${saleId}/board`)).body;
    expect(board).toMatchObject({ sold: STOCK, left: 0, gate_left: 0 });
    // A second process has to boot before it sells: on a loaded machine that alone takes seconds.
  }, 90_000);
});
