import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmPay, fanSession, shop, until } from '../../../test/support/shopper.ts';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { provisionSimulatedPay } from '../../demo-pay.ts';
import { manualClock } from '../../platform/clock.ts';
import { createSimulatorState } from '../../simulator/simulator.ts';
import { resolveFan } from '../crm/index.ts';
import { ATTRIBUTION_WINDOW_MS } from './attribution.service.ts';

let t: TestApp;
const clock = manualClock();
let owner: { id: string; token: string };
let account: { id: string; appid: string };
let tagId: string;
let skuId: string;
let productUrl: string;
const FANS = 20;
const HOUR = 3_600_000;

const address = { name: '张三', phone: '13800138000', region: '南京', detail: '中山南路 1 号' };

async function settle() {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await t.worker.drain();
  }
}

/** A fan taps "read more" in the article, then lands signed in on the product page. */
async function tapThrough(broadcastId: string, openid: string): Promise<string> {
  const tap = await t.app.inject({ method: 'GET', url: `/m/bc/${broadcastId}/0` });
  expect(tap.statusCode).toBe(302);
  const target = new URL(String(tap.headers.location));
  expect(target.searchParams.get('wl_bc')).toBe(broadcastId);
  const cookie = await fanSession(t, account.appid, openid);
  const page = await t.app.inject({
    method: 'GET',
    url: `${target.pathname}${target.search}`,
    headers: { cookie },
  });
  expect(page.statusCode).toBe(200);
  return cookie;
}

async function buy(cookie: string, openid: string, pay: boolean) {
  const placed = await shop(t, cookie, account.appid, 'POST', '/orders', {
    items: [{ sku_id: skuId, quantity: 1 }],
    address,
    payment_method: 'wechat',
  });
  expect(placed.status).toBe(201);
  if (pay) {
    const start = await shop(t, cookie, account.appid, 'POST', `/orders/${placed.body.id}/pay`);
    expect((await confirmPay(t, start.body.pay_params, openid)).status).toBe(200);
    await until(
      async () => (await t.call(owner.token, 'GET', `/api/v1/orders/${placed.body.id}`)).body.status,
      (s) => s === 'paid',
    );
  }
  return placed.body.id as string;
}

beforeAll(async () => {
  // WeChat's side runs on the test's clock too, so fans read "hours later" when the clock moves.
  t = await createTestApp(
    { massSendBatch: 10 },
    { clock, simulator: createSimulatorState({ now: clock.now }) },
  );
  owner = await t.merchant('results-shop');
  account = await connectAccount(t, owner.token, { mode: 'plain' });
  await provisionSimulatedPay(t.deps, owner.id, { codEnabled: false });
  const ctx = merchantCtx(t.deps, owner.id);
  const members: string[] = [];
  for (let i = 0; i < FANS; i++) {
    t.simulator!.sim.ensureFan(account.appid, `o_r${i}`, undefined, true);
    members.push(await resolveFan(ctx, { accountId: account.id, openid: `o_r${i}` }));
  }
  tagId = (await t.call(owner.token, 'POST', '/api/v1/crm/tags', { name: '老客', sync: false })).body.id;
  await t.call(owner.token, 'POST', `/api/v1/crm/tags/${tagId}/members`, { member_ids: members });
  const product = (
    await t.call(owner.token, 'POST', '/api/v1/products', {
      title: '春季风衣',
      status: 'on_sale',
      skus: [{ spec: {}, price: 39_900, stock: 50 }],
    })
  ).body;
  skuId = product.skus[0].id;
  productUrl = `${t.deps.config.publicUrl}/shop/${account.appid}/products/${product.id}`;
});
afterAll(() => t.close());

describe('what a send brought', () => {
  it('counts delivered (WeChat’s report), reads over the following days, clicks, orders and revenue', async () => {
    const reading = await t.app.inject({
      method: 'PUT',
      url: `/sim/apps/${account.appid}/reading`,
      headers: await t.simAuth(account.appid),
      payload: { share: 0.5, seed: 'results-test' },
    });
    expect(reading.statusCode).toBe(200);
    const draft = (
      await t.call(owner.token, 'POST', '/api/v1/broadcasts', {
        account_id: account.id,
        kind: 'news',
        articles: [{ title: '春季上新', body: '新款风衣', link: productUrl }],
        audience: { kind: 'tag', ref: tagId },
      })
    ).body;
    await t.call(owner.token, 'POST', `/api/v1/broadcasts/${draft.id}/schedule`, { preset: 'now' });
    await settle();

    // Two fans come through the link; one pays, one leaves the order unpaid.
    const payer = await tapThrough(draft.id, 'o_r1');
    const paidOrder = await buy(payer, 'o_r1', true);
    const looker = await tapThrough(draft.id, 'o_r2');
    await buy(looker, 'o_r2', false);
    // A fan who never clicked buys too: not the send's doing.
    await buy(await fanSession(t, account.appid, 'o_r3'), 'o_r3', true);
    await settle();

    let report = (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body;
    expect(report).toMatchObject({
      audience: FANS,
      delivered: FANS,
      clicked: 2,
      ordered: 2,
      paid: 1,
      revenue: 39_900,
      wechat: { calls: 2, sent: FANS, errors: 0 },
      yardsticks: { reach: 0.4, read: 0.3, participation: 0.2 },
    });
    expect(report.rates).toMatchObject({ reach: 1, participation: 0.1, order: 1, paid: 0.5 });

    // Reads arrive over hours and days; the pull jobs fetch them from the datacube.
    clock.advance(4 * HOUR);
    await settle();
    const early = (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body.read;
    clock.advance(4 * 24 * HOUR);
    await settle();
    report = (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body;
    expect(report.read).toBeGreaterThanOrEqual(early);
    // Half of twenty, seeded: a share around 50%, never more than were delivered.
    expect(report.read).toBeGreaterThan(3);
    expect(report.read).toBeLessThan(17);
    expect(report.reads_by_day.at(-1).cumulative).toBe(report.read);
    expect(report.rates.read).toBe(Math.round((report.read / FANS) * 1000) / 1000);

    // A refund takes the revenue back.
    await t.call(owner.token, 'POST', `/api/v1/orders/${paidOrder}/refund`, { reason: '不想要了' });
    await settle();
    await until(
      async () => (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body.revenue,
      (r) => r === 0,
    );
  });

  it('credits an order only within 7 days of the click', async () => {
    const draft = (
      await t.call(owner.token, 'POST', '/api/v1/broadcasts', {
        account_id: account.id,
        kind: 'news',
        articles: [{ title: '周末特惠', body: '特惠', link: productUrl }],
        audience: { kind: 'tag', ref: tagId },
      })
    ).body;
    await t.call(owner.token, 'POST', `/api/v1/broadcasts/${draft.id}/schedule`, { preset: 'now' });
    await settle();
    const cookie = await tapThrough(draft.id, 'o_r5');
    clock.advance(ATTRIBUTION_WINDOW_MS + HOUR);
    await buy(cookie, 'o_r5', false);
    await settle();
    const report = (await t.call(owner.token, 'GET', `/api/v1/broadcasts/${draft.id}/report`)).body;
    expect(report).toMatchObject({ clicked: 1, ordered: 0 });
  });

  it('ignores a token that names another merchant’s send', async () => {
    const other = await t.merchant('results-other');
    const otherAccount = await connectAccount(t, other.token, { mode: 'plain' });
    const theirs = (
      await t.call(other.token, 'POST', '/api/v1/broadcasts', {
        account_id: otherAccount.id,
        kind: 'text',
        text: '别家',
        audience: { kind: 'all' },
      })
    ).body;
    const cookie = await fanSession(t, account.appid, 'o_r6');
    await t.app.inject({
      method: 'GET',
      url: `${new URL(productUrl).pathname}?wl_bc=${theirs.id}`,
      headers: { cookie },
    });
    const visits = await t.deps.db
      .selectFrom('broadcast_visits')
      .selectAll()
      .where('openid', '=', 'o_r6')
      .execute();
    expect(visits).toEqual([]);
    expect((await t.call(other.token, 'GET', `/api/v1/broadcasts/${theirs.id}/report`)).body.clicked).toBe(0);
  });
});
