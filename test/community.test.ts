import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { provisionSimulatedPay } from '../src/demo-pay.ts';
import { activateForOrder, endForRefund, joinPlan, membershipOf } from '../src/modules/community/index.ts';
import { confirmPay, fanSession, shop, until } from './support/shopper.ts';
import { createTestApp, engine, type TestApp } from './support/test-app.ts';
import { connectAccount, fan, say } from './support/wechat-fan.ts';

const DAY = 86_400_000;
let t: TestApp;
let owner: string;
let agent: string;
let clerk: string;
let merchantId: string;
let accountId: string;
let appid: string;
let productId: string;

const plan = (over: Record<string, unknown> = {}) => ({
  name: '年度会员',
  description: '会员文章、会员社区',
  period_days: 365,
  price: 19_900,
  seat_cap: 100,
  window_start: t.clock.now() - DAY,
  window_days: 30,
  repeat: 'yearly',
  status: 'active',
  ...over,
});

async function page(cookie: string, path: string) {
  const response = await t.app.inject({ url: `/shop/${appid}${path}`, headers: { cookie } });
  return { status: response.statusCode, body: response.body, location: response.headers.location };
}

/** The fan pays an order in the simulated pay sheet; the membership follows order.paid. */
async function pay(cookie: string, openid: string, orderId: string) {
  const started = await shop(t, cookie, appid, 'POST', `/orders/${orderId}/pay`);
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  await confirmPay(t, started.body.pay_params, openid);
  await until(
    async () => (await t.call(owner, 'GET', `/api/v1/orders/${orderId}`)).body,
    (o) => o.status === 'paid',
  );
  await t.worker.drain();
}

async function member(cookie: string, openid: string, planId: string) {
  const order = await shop(t, cookie, appid, 'POST', `/community/plans/${planId}/join`);
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  await pay(cookie, openid, order.body.id);
  return order.body.id as string;
}

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('community-shop');
  merchantId = m.id;
  owner = m.token;
  agent = (await t.call(owner, 'POST', '/api/v1/tokens', { name: '客服', role: 'agent' })).body.token;
  clerk = (await t.call(owner, 'POST', '/api/v1/tokens', { name: '店员', role: 'clerk' })).body.token;
  const connected = await connectAccount(t, owner);
  appid = connected.appid;
  accountId = connected.id;
  await provisionSimulatedPay(t.deps, m.id, { codEnabled: false });
  productId = (
    await t.call(owner, 'POST', '/api/v1/products', {
      title: '手冲咖啡壶',
      status: 'on_sale',
      skus: [{ spec: {}, price: 12_800, stock: 50 }],
    })
  ).body.id;
}, 90_000);
afterAll(() => t.close());

describe('articles', () => {
  it('cleans the body on write, refuses foreign product cards, and answers a keyword with the article card', async () => {
    const created = await t.call(owner, 'POST', '/api/v1/community/articles', {
      title: '本周新品：手冲入门',
      body: `<p onclick="steal()">第一步<script>alert(1)</script></p><a href="javascript:alert(1)">x</a><product-card data-product-id="${productId}"></product-card>`,
      access: 'free',
      status: 'published',
      column_name: '本周新品',
      keyword: '手冲',
      account_id: accountId,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.body).toBe(
      `<p>第一步</p><a rel="noopener nofollow">x</a><product-card data-product-id="${productId}"></product-card>`,
    );
    expect(created.body.product_ids).toEqual([productId]);
    expect(created.body.summary).toBe('第一步 x');

    const foreign = await t.call(owner, 'POST', '/api/v1/community/articles', {
      title: 'x',
      body: '<product-card data-product-id="prd_not_ours"></product-card>',
      access: 'free',
      status: 'draft',
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('unknown_product');
    const invalid = await t.call(owner, 'POST', '/api/v1/community/articles', { title: '', body: 1 });
    expect(invalid.status).toBe(400);

    const reply = await say(t, appid, 'o_reader', '手冲');
    expect(JSON.stringify(reply)).toContain(`/shop/${appid}/articles/${created.body.id}`);

    // Unpublishing takes the keyword rule away: the fan no longer gets the card.
    const draft = await t.call(owner, 'PUT', `/api/v1/community/articles/${created.body.id}`, {
      ...created.body,
      status: 'draft',
    });
    expect(draft.status, JSON.stringify(draft.body)).toBe(200);
    expect(draft.body.rule_id).toBeNull();
    expect(JSON.stringify(await say(t, appid, 'o_reader', '手冲'))).not.toContain('/articles/');
    await t.call(owner, 'PUT', `/api/v1/community/articles/${created.body.id}`, {
      ...created.body,
      status: 'published',
    });
    expect(JSON.stringify(await say(t, appid, 'o_reader', '手冲'))).toContain('/articles/');

    // The H5 page renders the product card from the catalog.
    const cookie = await fanSession(t, appid, 'o_reader');
    const read = await page(cookie, `/articles/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toContain('手冲咖啡壶');
    expect(read.body).toContain('¥128.00');
    expect(read.body).not.toContain('<script>alert');
    const list = await page(cookie, `/articles?column=${encodeURIComponent('本周新品')}`);
    expect(list.body).toContain('本周新品：手冲入门');
  });

  it('answers a menu click with the article list (a click rule channel runs)', async () => {
    const created = await t.call(owner, 'POST', '/api/v1/community/list-replies', {
      account_id: accountId,
      menu_key: 'NEW_THIS_WEEK',
      column_name: '本周新品',
      title: '本周新品',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const seen = await fan(t, appid, 'o_menu', { type: 'click', key: 'NEW_THIS_WEEK' });
    expect(JSON.stringify(seen.reply)).toContain(`/shop/${appid}/articles?column=`);
    const again = await t.call(owner, 'POST', '/api/v1/community/list-replies', {
      account_id: accountId,
      menu_key: 'NEW_THIS_WEEK',
      title: '重复',
    });
    expect(again.status).toBe(409);
    expect((await t.call(owner, 'DELETE', `/api/v1/community/list-replies/${created.body.id}`)).status).toBe(
      200,
    );
    expect(
      JSON.stringify((await fan(t, appid, 'o_menu_2', { type: 'click', key: 'NEW_THIS_WEEK' })).reply),
    ).not.toContain('/articles');
  });

  it('lets operators write, agents read, and refuses clerks', async () => {
    const body = { title: '客服不能写', body: '<p>x</p>', access: 'free', status: 'draft' };
    expect((await t.call(agent, 'POST', '/api/v1/community/articles', body)).status).toBe(403);
    expect((await t.call(agent, 'GET', '/api/v1/community/articles')).status).toBe(200);
    expect((await t.call(clerk, 'GET', '/api/v1/community/articles')).status).toBe(403);
    expect((await t.call(clerk, 'GET', '/api/v1/community/plans')).status).toBe(403);
    expect((await t.call(agent, 'POST', '/api/v1/community/plans', plan())).status).toBe(403);
  });
});

describe('paid membership', () => {
  it('buy → members-only article → renewal extends → the reminder → a refund takes the period back', async () => {
    const created = await t.call(owner, 'POST', '/api/v1/community/plans', plan());
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ seats_taken: 0, seats_left: 100, price: 19_900 });
    const planId = created.body.id as string;
    const secret = (
      await t.call(owner, 'POST', '/api/v1/community/articles', {
        title: '会员专享：烘焙曲线',
        summary: '烘焙的秘密',
        body: '<p>只给会员看的正文</p>',
        access: 'members',
        status: 'published',
      })
    ).body.id;

    await fan(t, appid, 'o_buyer', { type: 'subscribe' });
    let cookie = await fanSession(t, appid, 'o_buyer');
    const locked = await page(cookie, `/articles/${secret}`);
    expect(locked.body).toContain('id="paywall"');
    expect(locked.body).toContain('加入会员');
    expect(locked.body).not.toContain('只给会员看的正文');

    const orderId = await member(cookie, 'o_buyer', planId);
    const me = (await shop(t, cookie, appid, 'GET', '/community/me')).body.membership;
    expect(me).toMatchObject({ active: true, plan_id: planId, last_order_id: orderId });
    expect(me.expires_at - me.started_at).toBe(365 * DAY);
    expect((await page(cookie, `/articles/${secret}`)).body).toContain('只给会员看的正文');
    // The order went through the normal checkout: no address, no voucher, paid by WeChat Pay.
    const order = (await t.call(owner, 'GET', `/api/v1/orders/${orderId}`)).body;
    expect(order).toMatchObject({ total: 19_900, status: 'paid', source: 'membership' });

    // A second join in the same round is a renewal: one more period, no seat taken.
    const renewal = await member(cookie, 'o_buyer', planId);
    const renewed = (await shop(t, cookie, appid, 'GET', '/community/me')).body.membership;
    expect(renewed.expires_at).toBe(me.expires_at + 365 * DAY);
    const sales = (await t.call(agent, 'GET', `/api/v1/community/plans/${planId}/sales`)).body;
    expect(sales).toMatchObject({ paid: 2, revenue: 39_800 });
    expect(sales.rounds[0].seats_taken).toBe(1);

    const settings = await t.call(owner, 'PUT', '/api/v1/community/settings', {
      sensitive_words: [],
      posts_per_hour: 10,
      renewal_template: 'TPL_RENEWAL',
    });
    expect(settings.body).toMatchObject({ renewal_template: 'TPL_RENEWAL' });

    // Refunding the renewal takes its year back.
    const refund = async (id: string) => {
      expect((await t.call(owner, 'POST', `/api/v1/orders/${id}/refund`, { reason: '不要了' })).status).toBe(
        200,
      );
      await t.worker.drain();
      await until(
        async () => (await t.call(owner, 'GET', `/api/v1/orders/${id}`)).body,
        (o) => o.status === 'refunded',
      );
      await t.worker.drain();
    };
    await refund(renewal);
    const back = (await shop(t, cookie, appid, 'GET', '/community/me')).body.membership;
    expect(back).toMatchObject({ active: true, expires_at: me.expires_at });

    // The reminder is a template notice (it reaches the fan long after their last message), sent
    // seven days before the expiry date that stands: the renewed date's reminder says nothing.
    const reminders = () =>
      t
        .simulator!.sim.fan(appid, 'o_buyer')
        .transcript.filter((e) => e.via === 'template' && JSON.stringify(e.message).includes('TPL_RENEWAL'));
    t.clock.advance(365 * DAY - 7 * DAY - 60_000);
    await t.worker.drain();
    expect(reminders()).toHaveLength(0);
    t.clock.advance(120_000);
    await t.worker.drain();
    expect(reminders()).toHaveLength(1);
    expect(JSON.stringify(reminders()[0]!.message)).toContain('/membership');
    // A membership is not shipped: the paid notice's default remark does not promise it.
    const paidNotices = t
      .simulator!.sim.fan(appid, 'o_buyer')
      .transcript.filter((e) => e.via === 'template' && JSON.stringify(e.message).includes('TM_ORDER_PAID'));
    expect(paidNotices.length).toBeGreaterThan(0);
    for (const notice of paidNotices) expect(JSON.stringify(notice.message)).toContain('感谢您的购买');

    // Refunding the first order ends the membership (a new session: the old one is a year old).
    cookie = await fanSession(t, appid, 'o_buyer');
    await refund(orderId);
    const ended = (await shop(t, cookie, appid, 'GET', '/community/me')).body.membership;
    expect(ended).toMatchObject({ status: 'ended', active: false });
    expect((await page(cookie, `/articles/${secret}`)).body).toContain('id="paywall"');
    const ledger = (await t.call(owner, 'GET', `/api/v1/community/memberships?status=ended`)).body;
    expect(ledger.map((m: { openid: string }) => m.openid)).toContain('o_buyer');
    t.clock.advance(365 * DAY);
    await t.worker.drain();
    expect(reminders()).toHaveLength(1);
  }, 60_000);

  it("prices goods at the members' price for active members only, computed by the server", async () => {
    const vip = (await t.call(owner, 'POST', '/api/v1/community/plans', plan({ member_discount_pct: 10 })))
      .body;
    expect(vip.member_discount_pct).toBe(10);
    const address = { name: '王五', phone: '13700137000', region: '杭州市西湖区', detail: '文三路 3 号' };
    const order = { items: [{ sku_id: '', quantity: 2 }], address, payment_method: 'wechat' };
    const sku = (await t.call(owner, 'GET', `/api/v1/products/${productId}`)).body.skus[0].id;
    order.items[0]!.sku_id = sku;

    const outsider = await fanSession(t, appid, 'o_not_vip');
    const refused = await shop(t, outsider, appid, 'POST', '/community/orders', order);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('members_only');

    const cookie = await fanSession(t, appid, 'o_vip');
    await member(cookie, 'o_vip', vip.id);
    const tampered = await shop(t, cookie, appid, 'POST', '/community/orders', {
      ...order,
      expected_total: 1,
    });
    expect(tampered.status).toBe(409);
    const placed = await shop(t, cookie, appid, 'POST', '/community/orders', {
      ...order,
      expected_total: 23_040,
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body).toMatchObject({ items_total: 25_600, discount: 2_560, total: 23_040 });
    expect(placed.body.adjustments[0]).toMatchObject({ kind: 'member_price', amount: 2_560 });
  });

  it("counts a seat for the plan's product bought through the plain shop checkout", async () => {
    const direct = (await t.call(owner, 'POST', '/api/v1/community/plans', plan({ seat_cap: 5 }))).body;
    const cookie = await fanSession(t, appid, 'o_direct');
    const order = await shop(t, cookie, appid, 'POST', '/orders', {
      items: [{ sku_id: direct.sku_id, quantity: 1 }],
      payment_method: 'wechat',
    });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    await pay(cookie, 'o_direct', order.body.id);
    const me = (await shop(t, cookie, appid, 'GET', '/community/me')).body.membership;
    expect(me).toMatchObject({ active: true, plan_id: direct.id });
    expect((await t.call(owner, 'GET', `/api/v1/community/plans/${direct.id}`)).body.seats_taken).toBe(1);
    // The plan's product is sold on its own page: search never shows it.
    const found = await t.call(owner, 'GET', `/api/v1/search?q=${encodeURIComponent('年度会员')}`);
    expect(found.body.items).toEqual([]);
  });

  it('a refund heard before the payment leaves no membership and gives the seat back', async () => {
    const small = (await t.call(owner, 'POST', '/api/v1/community/plans', plan({ seat_cap: 1 }))).body;
    const fanCtx = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId, openid: 'o_out_of_order' });
    const order = await joinPlan(fanCtx, small.id);
    const system = merchantCtx(t.deps, merchantId);
    expect(await endForRefund(system, order.id)).toBe(true);
    expect(await activateForOrder(system, order.id)).toBe(false);
    expect(await membershipOf(system, accountId, 'o_out_of_order')).toBeNull();
    expect((await t.call(owner, 'GET', `/api/v1/community/plans/${small.id}`)).body.seats_left).toBe(1);
  });

  it('sells recruiting only inside the window, and says when the next one opens', async () => {
    const later = (
      await t.call(owner, 'POST', '/api/v1/community/plans', plan({ window_start: t.clock.now() + 10 * DAY }))
    ).body;
    expect(later.open_round).toBeNull();
    expect(later.next_opening).toBe(t.clock.now() + 10 * DAY);
    const cookie = await fanSession(t, appid, 'o_early');
    const refused = await shop(t, cookie, appid, 'POST', `/community/plans/${later.id}/join`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('recruiting_closed');
    const shown = await page(cookie, '/membership');
    expect(shown.body).toContain('下一期招募');
  });

  it(`never sells more seats than the cap under concurrent buyers (${engine})`, async () => {
    const capped = (await t.call(owner, 'POST', '/api/v1/community/plans', plan({ seat_cap: 3 }))).body;
    const fans = Array.from({ length: 12 }, (_, i) => `o_rush_${i}`);
    const results = await Promise.allSettled(
      fans.map((openid) =>
        joinPlan(merchantCtx(t.deps, merchantId, { kind: 'fan', accountId, openid }), capped.id),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(3);
    expect(lost.every((r) => (r as PromiseRejectedResult).reason.code === 'sold_out')).toBe(true);
    const view = (await t.call(owner, 'GET', `/api/v1/community/plans/${capped.id}`)).body;
    expect(view).toMatchObject({ seats_taken: 3, seats_left: 0 });
    const orders = await t.deps.db
      .selectFrom('orders')
      .select('id')
      .where('merchant_id', '=', merchantId)
      .where('source', '=', 'membership')
      .where('openid', 'like', 'o_rush_%')
      .execute();
    expect(orders).toHaveLength(3);

    // A cancelled (unpaid) order gives its seat back to the round.
    const first = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
    expect((await t.call(owner, 'POST', `/api/v1/orders/${first}/cancel`)).status).toBe(200);
    await t.worker.drain();
    expect((await t.call(owner, 'GET', `/api/v1/community/plans/${capped.id}`)).body.seats_left).toBe(1);
  });
});

describe('board', () => {
  let planId: string;
  let memberCookie: string;
  beforeAll(async () => {
    planId = (
      await t.call(owner, 'POST', '/api/v1/community/plans', plan({ window_start: t.clock.now() - DAY }))
    ).body.id;
    memberCookie = await fanSession(t, appid, 'o_poster');
    await member(memberCookie, 'o_poster', planId);
  }, 60_000);

  it('members post, reply and report; non-members are refused', async () => {
    const outsider = await fanSession(t, appid, 'o_outsider');
    const refused = await shop(t, outsider, appid, 'POST', '/community/posts', { text: '我也想说' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('members_only');
    expect((await page(outsider, '/board')).body).toContain('id="paywall"');

    const post = await shop(t, memberCookie, appid, 'POST', '/community/posts', {
      text: '今天的豆子很香',
      images: ['https://img.example/bean.jpg'],
    });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
    const reply = await shop(t, memberCookie, appid, 'POST', '/community/posts', {
      text: '同感',
      parent_id: post.body.id,
    });
    expect(reply.status).toBe(201);
    const bad = await shop(t, memberCookie, appid, 'POST', '/community/posts', {
      text: 'x',
      images: ['javascript:alert(1)'],
    });
    expect(bad.status).toBe(400);
    const board = (await shop(t, memberCookie, appid, 'GET', '/community/board')).body;
    expect(board[0]).toMatchObject({ text: '今天的豆子很香', reply_count: 1 });
    expect(board[0].replies.map((r: { text: string }) => r.text)).toEqual(['同感']);
    const html = (await page(memberCookie, '/board')).body;
    expect(html).toContain('今天的豆子很香');

    const report = await shop(t, memberCookie, appid, 'POST', `/community/posts/${post.body.id}/report`, {
      reason: '广告',
    });
    expect(report.status).toBe(200);
    const twice = await shop(t, memberCookie, appid, 'POST', `/community/posts/${post.body.id}/report`, {
      reason: '广告',
    });
    expect(twice.status).toBe(409);
    const queue = (await t.call(agent, 'GET', '/api/v1/community/moderation')).body;
    expect(queue[0].post.id).toBe(post.body.id);
    expect(queue[0].reports[0].reason).toBe('广告');
  });

  it('refuses sensitive words and posts over the hourly limit (429)', async () => {
    expect(
      (
        await t.call(agent, 'PUT', '/api/v1/community/settings', {
          sensitive_words: ['代购'],
          posts_per_hour: 3,
        })
      ).status,
    ).toBe(403);
    const saved = await t.call(owner, 'PUT', '/api/v1/community/settings', {
      sensitive_words: ['代购', ' 加微信 '],
      posts_per_hour: 3,
    });
    expect(saved.body).toEqual({
      sensitive_words: ['代购', '加微信'],
      posts_per_hour: 3,
      renewal_template: null,
    });
    const cookie = await fanSession(t, appid, 'o_limited');
    await member(cookie, 'o_limited', planId);
    const word = await shop(t, cookie, appid, 'POST', '/community/posts', { text: '专业代 购，加 微 信' });
    expect(word.status).toBe(400);
    expect(word.body.error.code).toBe('sensitive_word');
    const english = await t.app.inject({
      method: 'POST',
      url: `/shop/${appid}/api/community/posts`,
      headers: { cookie, 'accept-language': 'en' },
      payload: { text: '代购' },
    });
    expect(english.json().error.message).toBe('The text contains a word that is not allowed');
    // A post refused for its words does not count: three are allowed this hour, the fourth waits.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await shop(t, cookie, appid, 'POST', '/community/posts', { text: `第 ${i} 帖` })).status,
      );
    expect(statuses).toEqual([201, 201, 201, 429]);
    t.clock.advance(3_600_000);
    expect((await shop(t, cookie, appid, 'POST', '/community/posts', { text: '一小时后' })).status).toBe(201);
  });

  it('operators pin, hide and ban; a banned member cannot post until the ban is lifted', async () => {
    await t.call(owner, 'PUT', '/api/v1/community/settings', { sensitive_words: [], posts_per_hour: 50 });
    const a = (await shop(t, memberCookie, appid, 'POST', '/community/posts', { text: '置顶候选' })).body;
    const b = (await shop(t, memberCookie, appid, 'POST', '/community/posts', { text: '要被隐藏' })).body;
    expect((await t.call(clerk, 'PATCH', `/api/v1/community/posts/${a.id}`, { pinned: true })).status).toBe(
      403,
    );
    const pinned = await t.call(agent, 'PATCH', `/api/v1/community/posts/${a.id}`, { pinned: true });
    expect(pinned.body.pinned).toBe(true);
    await t.call(agent, 'PATCH', `/api/v1/community/posts/${b.id}`, { hidden: true });
    const board = (await shop(t, memberCookie, appid, 'GET', '/community/board')).body;
    expect(board[0].id).toBe(a.id);
    expect(board.map((p: { id: string }) => p.id)).not.toContain(b.id);
    const hidden = (await t.call(owner, 'GET', '/api/v1/community/posts?status=hidden')).body.items;
    expect(hidden.map((p: { id: string }) => p.id)).toContain(b.id);

    const ban = await t.call(agent, 'POST', `/api/v1/community/posts/${a.id}/ban`, {
      reason: '刷屏',
      days: 7,
    });
    expect(ban.status, JSON.stringify(ban.body)).toBe(200);
    const blocked = await shop(t, memberCookie, appid, 'POST', '/community/posts', { text: '还能发吗' });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('banned');
    const bans = (await t.call(owner, 'GET', '/api/v1/community/bans')).body;
    expect(bans.map((x: { openid: string }) => x.openid)).toContain('o_poster');
    expect((await t.call(owner, 'DELETE', `/api/v1/community/bans/${ban.body.id}`)).status).toBe(200);
    expect((await shop(t, memberCookie, appid, 'POST', '/community/posts', { text: '解禁了' })).status).toBe(
      201,
    );
  });
});
