import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { grantBirthdays, reconcile, scheduleBirthdays } from '../src/modules/loyalty/index.ts';
import { createApiToken } from '../src/modules/tenants/index.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, engine, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

let t: TestApp;
let owner: string;
let operator: string;
let clerk: string;
let agent: string;
let merchantId: string;
let appid: string;
let tea: { id: string; sku: string };
const address = { name: '钱七', phone: '13500135000', region: '苏州市姑苏区', detail: '观前街 7 号' };

const level = (key: string, name: string, min_spend: number, extra: Record<string, unknown> = {}) => ({
  key,
  name,
  min_spend,
  min_points: 0,
  earn_rate: 1,
  discount_pct: 0,
  free_shipping: false,
  birthday_gift: '',
  store_perks: {},
  ...extra,
});

const program = {
  name: '茶友卡',
  cover_url: '',
  color: '#166534',
  terms: '',
  levels: [
    level('basic', '普通会员', 0, { birthday_gift: '生日茶点一份' }),
    level('gold', '金卡', 100_000, { birthday_gift: '生日整盒茶礼', birthday_points: 500 }),
  ],
  points_per_yuan: 100,
  excluded_categories: [],
  checkin_points: 0,
  review_points: 30,
  expiry_days: 0,
  issue_on_first_order: true,
  topup_rules: [],
  status: 'active',
  notice_template_id: '',
};

const cardOf = async (cookie: string) => (await shop(t, cookie, appid, 'GET', '/loyalty/card')).body.card;
async function adjust(cardId: string, delta: number) {
  const r = await t.call(owner, 'POST', `/api/v1/loyalty/cards/${cardId}/adjustments`, {
    kind: 'points',
    delta,
    reason: '活动赠送',
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('perks-shop');
  merchantId = m.id;
  owner = m.token;
  const token = async (role: 'operator' | 'clerk' | 'agent') =>
    (await createApiToken({ ...t.system(), merchantId }, { name: role, role })).token;
  [operator, clerk, agent] = [await token('operator'), await token('clerk'), await token('agent')];
  appid = (await connectAccount(t, owner)).appid;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  const created = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '龙井茶',
      category: '茶叶',
      status: 'on_sale',
      skus: [{ spec: {}, price: 5_000, stock: 10_000 }],
    })
  ).body;
  tea = { id: created.id, sku: created.skus[0].id };
  expect((await t.call(operator, 'PUT', '/api/v1/loyalty/program', program)).status).toBe(200);
});
afterAll(() => t.close());

describe('points on reviews', () => {
  it('a review of a delivered order earns the review points once', async () => {
    const cookie = await fanSession(t, appid, 'o_reviewer');
    const order = await shop(t, cookie, appid, 'POST', '/orders', {
      items: [{ sku_id: tea.sku, quantity: 1 }],
      address,
      payment_method: 'wechat',
    });
    const pay = await shop(t, cookie, appid, 'POST', `/orders/${order.body.id}/pay`);
    await confirmPay(t, pay.body.pay_params, 'o_reviewer');
    await until(
      async () => {
        await t.worker.drain();
        return cardOf(cookie);
      },
      (c) => c?.points === 50,
    );
    await t.call(owner, 'POST', `/api/v1/orders/${order.body.id}/ship`, {
      carrier: '顺丰',
      tracking_no: 'SF9',
    });
    const review = { product_id: tea.id, rating: 5, text: '香气很好' };
    expect((await shop(t, cookie, appid, 'POST', `/orders/${order.body.id}/reviews`, review)).status).toBe(
      201,
    );
    expect((await shop(t, cookie, appid, 'POST', `/orders/${order.body.id}/reviews`, review)).status).toBe(
      409,
    );
    await t.worker.drain();
    await t.worker.drain();
    expect((await cardOf(cookie)).points).toBe(80);
  });
});

describe('the rewards catalogue', () => {
  let cup: string;

  it('operators make rewards; agents and clerks cannot', async () => {
    const body = {
      name: '定制茶杯',
      description: '限量',
      image_url: '',
      points: 300,
      stock: 3,
      per_card_limit: 1,
      min_level: '',
      status: 'active',
    };
    expect((await t.call(agent, 'POST', '/api/v1/loyalty/rewards', body)).status).toBe(403);
    expect((await t.call(clerk, 'POST', '/api/v1/loyalty/rewards', body)).status).toBe(403);
    expect(
      (await t.call(operator, 'POST', '/api/v1/loyalty/rewards', { ...body, min_level: 'x' })).status,
    ).toBe(400);
    const created = await t.call(operator, 'POST', '/api/v1/loyalty/rewards', body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    cup = created.body.id;
  });

  it(`stock and points hold under a rush (${engine}); the per-card limit, the level; a clerk hands it over once; a cancel gives points back`, async () => {
    const fans = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const cookie = await fanSession(t, appid, `o_rush${i}`);
        const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
        await adjust(card.id, i === 5 ? 100 : 1_000);
        return { cookie, card };
      }),
    );
    const results = await Promise.all(
      fans.map((f) => shop(t, f.cookie, appid, 'POST', `/loyalty/rewards/${cup}/redeem`)),
    );
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(3);
    // The poor fan (100 points) never wins; the losers keep their points.
    expect(results[5]?.status).toBe(409);
    for (const r of results.filter((x) => x.status !== 201))
      expect(['out_of_stock', 'insufficient_points']).toContain(r.body.error.code);
    const reward = (await t.call(operator, 'GET', '/api/v1/loyalty/rewards')).body.find(
      (r: { id: string }) => r.id === cup,
    );
    expect(reward).toMatchObject({ stock: 0, redeemed: 3 });
    const spent = await Promise.all(fans.map((f) => cardOf(f.cookie)));
    expect(spent.filter((c) => c.points === 700)).toHaveLength(3);
    expect(await reconcile(merchantCtx(t.deps, merchantId))).toBe(0);

    // The card page lists the code; a clerk hands the cup over once.
    const winner = fans[results.findIndex((r) => r.status === 201)]!;
    const page = (await t.app.inject({ url: `/shop/${appid}/card`, headers: { cookie: winner.cookie } }))
      .body;
    const code = won.find((w) => page.includes(w.body.code))?.body.code as string;
    expect(code).toBeTruthy();
    expect((await t.call(clerk, 'POST', '/api/v1/loyalty/redemptions/fulfil', { code })).body.status).toBe(
      'fulfilled',
    );
    expect(
      (await t.call(clerk, 'POST', '/api/v1/loyalty/redemptions/fulfil', { code })).body.error.code,
    ).toBe('code_invalid');

    // A fulfilled one cannot be cancelled; an issued one can, and its points and stock come back.
    const other = won.find((w) => w.body.code !== code)!.body;
    const fulfilledId = won.find((w) => w.body.code === code)!.body.id;
    expect((await t.call(operator, 'POST', `/api/v1/loyalty/redemptions/${fulfilledId}/cancel`)).status).toBe(
      409,
    );
    expect((await t.call(clerk, 'POST', `/api/v1/loyalty/redemptions/${other.id}/cancel`)).status).toBe(403);
    expect((await t.call(operator, 'POST', `/api/v1/loyalty/redemptions/${other.id}/cancel`)).status).toBe(
      200,
    );
    const back = (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${other.card_id}`)).body.card;
    expect(back.points).toBe(1_000);
    // Its card may redeem again (the limit counts live redemptions) now that stock is back.
    const again = fans.find((f) => f.card.id === other.card_id)!;
    expect((await shop(t, again.cookie, appid, 'POST', `/loyalty/rewards/${cup}/redeem`)).status).toBe(201);
    expect(
      (await shop(t, again.cookie, appid, 'POST', `/loyalty/rewards/${cup}/redeem`)).body.error.code,
    ).toBe('limit_reached');
  });

  it('a gold-only reward refuses a basic card', async () => {
    const gold = await t.call(operator, 'POST', '/api/v1/loyalty/rewards', {
      name: '金卡茶会',
      description: '',
      image_url: '',
      points: 10,
      stock: null,
      per_card_limit: 0,
      min_level: 'gold',
      status: 'active',
    });
    const cookie = await fanSession(t, appid, 'o_rush0');
    expect(
      (await shop(t, cookie, appid, 'POST', `/loyalty/rewards/${gold.body.id}/redeem`)).body.error.code,
    ).toBe('level_too_low');
  });
});

describe('birthday gifts', () => {
  it('the fan gives the birthday once; on the day the level gift and points come once, with a notice', async () => {
    const cookie = await fanSession(t, appid, 'o_birthday');
    const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
    expect((await shop(t, cookie, appid, 'PUT', '/loyalty/birthday', { birthday: '13-01' })).status).toBe(
      400,
    );
    // Tomorrow in Shanghai.
    const tomorrow = new Date(t.clock.now() + 8 * 3_600_000 + 86_400_000).toISOString().slice(5, 10);
    const set = await shop(t, cookie, appid, 'PUT', '/loyalty/birthday', { birthday: tomorrow });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(
      (await shop(t, cookie, appid, 'PUT', '/loyalty/birthday', { birthday: '01-01' })).body.error.code,
    ).toBe('birthday_set');
    // The program now gives every member birthday points and sends notices by template.
    await t.call(operator, 'PUT', '/api/v1/loyalty/program', {
      ...program,
      notice_template_id: 'TM_BIRTHDAY',
      levels: [level('basic', '普通会员', 0, { birthday_gift: '生日茶点一份', birthday_points: 200 })],
    });
    const ctx = () => merchantCtx(t.deps, merchantId);
    expect(await grantBirthdays(ctx())).toBe(0);
    t.clock.advance(86_400_000);
    expect(await grantBirthdays(ctx())).toBeGreaterThanOrEqual(1);
    expect(await grantBirthdays(ctx())).toBe(0);
    await t.worker.drain();
    const after = (await t.call(owner, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body;
    expect(after.points.filter((e: { reason: string }) => e.reason === 'birthday')).toHaveLength(1);
    expect(after.card.points).toBe(200);
    const notices = t.simulator!.sim.fan(appid, 'o_birthday').transcript.filter((e) => e.via === 'template');
    expect(notices.at(-1)?.message.templateId).toBe('TM_BIRTHDAY');
    expect(JSON.stringify(notices.at(-1)?.message)).toContain('生日茶点一份');
  });

  it('the daily job runs at 09:00 in China and gives the day its gifts', async () => {
    const DAY = 86_400_000;
    const now = t.clock.now();
    // The job's next run: 01:00 UTC, 09:00 in Shanghai, that same date.
    const at = Math.floor(now / DAY) * DAY + 3_600_000 + (now % DAY >= 3_600_000 ? DAY : 0);
    const cookie = await fanSession(t, appid, 'o_morning');
    const card = (await shop(t, cookie, appid, 'POST', '/loyalty/card')).body;
    const day = new Date(at + 8 * 3_600_000).toISOString().slice(5, 10);
    expect((await shop(t, cookie, appid, 'PUT', '/loyalty/birthday', { birthday: day })).status).toBe(200);
    await scheduleBirthdays(t.deps, now);
    await t.worker.drain();
    expect((await t.call(owner, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body.card.points).toBe(0);
    t.clock.advance(at - now + 1_000);
    await t.worker.drain();
    await t.worker.drain();
    expect((await t.call(owner, 'GET', `/api/v1/loyalty/cards/${card.id}`)).body.card.points).toBe(200);
  });
});
