import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { parseCsv } from '../../src/platform/csv.ts';
import { fanSession, shop } from '../support/shopper.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';

let t: TestApp;
let token: string;
let appid: string;
let skuId: string;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('csv-attack');
  token = m.token;
  appid = (await connectAccount(t, token)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: true });
  const product = await t.call(token, 'POST', '/api/v1/products', {
    title: '导出测试商品',
    status: 'on_sale',
    skus: [{ spec: {}, price: 100, stock: 50 }],
  });
  skuId = product.body.skus[0].id;
});
afterAll(() => t.close());

describe('a fan’s address cannot become a formula in the merchant’s spreadsheet', () => {
  const payloads = ['=HYPERLINK("http://x.cn","领")', '\t=1+1', '\r=cmd|"/c calc"!A1', '＝1+1', '＠SUM(1)'];

  it('exports every planted cell as text', async () => {
    const cookie = await fanSession(t, appid, 'o_csv_attacker');
    for (const name of payloads) {
      const placed = await shop(t, cookie, appid, 'POST', '/orders', {
        items: [{ sku_id: skuId, quantity: 1 }],
        address: { name, phone: '13800138000', region: '+上海市', detail: '-1+1' },
        payment_method: 'cod',
      });
      expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    }
    const exported = await t.app.inject({
      url: '/api/v1/orders/export',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(exported.statusCode).toBe(200);
    const rows = parseCsv(exported.body).slice(1);
    expect(rows).toHaveLength(payloads.length);
    for (const row of rows) {
      for (const cell of row) expect(cell, JSON.stringify(row)).not.toMatch(/^[=+\-@\t\r\n＝＋－＠]/);
    }
    expect(rows.map((r) => r.find((c) => c.includes('HYPERLINK')))).toContain(`'${payloads[0]}`);
  });
});
