import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { drawWinners, seedHash } from '../src/modules/growth/index.ts';
import { placeOrder } from '../src/modules/orders/index.ts';
import { fanSession, shop } from './support/shopper.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, say } from './support/wechat-fan.ts';

let t: TestApp;
let token: string;
let merchantId: string;
let account: { id: string; appid: string };
let sku: string;
let consolation: string;
const address = { name: '王五', phone: '13700137000', region: '杭州市西湖区', detail: '文三路 3 号' };

async function trial(units: number, keyword: string) {
  const created = await t.call(token, 'POST', '/api/v1/growth/trials', {
    account_id: account.id,
    title: '保湿精华试用',
    sku_id: sku,
    units,
    keyword,
    closes_at: t.clock.now() + 3_600_000,
    consolation_campaign_id: consolation,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; seed_hash: string; seed: string | null };
}

const entries = async (id: string) =>
  (await t.call(token, 'GET', `/api/v1/growth/trials/${id}/entries?limit=100`)).body.items as Array<{
    id: string;
    openid: string;
    reason: string;
    status: string;
    prize: string;
    order_id: string | null;
    coupon_id: string | null;
    member: { id: string } | null;
  }>;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('trial-shop');
  token = m.token;
  merchantId = m.id;
  account = await connectAccount(t, token);
  const product = (
    await t.call(token, 'POST', '/api/v1/products', {
      title: '保湿精华',
      category: '美妆/精华',
      status: 'on_sale',
      skus: [{ spec: {}, price: 29_900, stock: 10 }],
    })
  ).body;
  sku = product.skus[0].id;
  consolation = (
    await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
      name: '试用安慰券',
      kind: 'fixed',
      value: 500,
      total_limit: 100,
      valid_days: 7,
    })
  ).body.id;
});
afterAll(() => t.close());

describe('trials', () => {
  it('fans enter by replying with a reason, each once; the seeded draw is reproducible; winners get a ¥0 order, losers a coupon', async () => {
    const created = await trial(2, '试用');
    expect(created.seed).toBeNull();
    expect(created.seed_hash).toMatch(/^[0-9a-f]{64}$/);

    const reply = await say(t, account.appid, 'o_a', '试用 我是干皮，想试试这款精华');
    expect(String(reply?.content)).toContain('已收到');
    await say(t, account.appid, 'o_a', '试用 再报一次');
    await say(t, account.appid, 'o_b', '试用：夏天出油多');
    await say(t, account.appid, 'o_c', '试用');
    await say(t, account.appid, 'o_d', '你好，有没有试用');
    await say(t, account.appid, 'o_e', '试用 想给妈妈用');

    const list = await entries(created.id);
    expect(list.map((e) => e.openid).sort()).toEqual(['o_a', 'o_b', 'o_c', 'o_e']);
    expect(list.find((e) => e.openid === 'o_a')?.reason).toBe('我是干皮，想试试这款精华');
    expect(list.find((e) => e.openid === 'o_b')?.reason).toBe('夏天出油多');
    // The CRM member is listed beside each entry.
    expect(list.every((e) => e.member?.id.startsWith('mem_'))).toBe(true);

    // A cross-check that nobody's reply is counted twice however often the log is re-read.
    const view = (await t.call(token, 'GET', `/api/v1/growth/trials/${created.id}`)).body;
    expect(view.entry_count).toBe(4);

    const drawn = await t.call(token, 'POST', `/api/v1/growth/trials/${created.id}/draw`, { mode: 'random' });
    expect(drawn.status, JSON.stringify(drawn.body)).toBe(200);
    expect(seedHash(drawn.body.seed)).toBe(created.seed_hash);
    const again = await t.call(token, 'POST', `/api/v1/growth/trials/${created.id}/draw`, { mode: 'random' });
    expect(again.body.error.code).toBe('already_drawn');

    // Anyone can recompute the winners from the published data.
    const audit = (await t.call(token, 'GET', `/api/v1/growth/trials/${created.id}/audit`)).body;
    const recomputed = drawWinners(
      audit.seed,
      audit.entries.map((e: { id: string }) => e.id),
      audit.units,
    );
    expect(recomputed.sort()).toEqual(
      audit.entries
        .filter((e: { won: boolean }) => e.won)
        .map((e: { id: string }) => e.id)
        .sort(),
    );

    await t.worker.drain();
    const after = await entries(created.id);
    const winners = after.filter((e) => e.status === 'won');
    const losers = after.filter((e) => e.status === 'lost');
    expect(winners).toHaveLength(2);
    expect(losers).toHaveLength(2);
    expect(losers.every((e) => e.coupon_id)).toBe(true);
    // No saved address: the winner is asked for one, then the ¥0 order is placed and paid.
    expect(winners.every((e) => e.prize === 'awaiting_address')).toBe(true);

    const winner = winners[0]!;
    const cookie = await fanSession(t, account.appid, winner.openid);
    const mine = await shop(t, cookie, account.appid, 'GET', '/trial-entries');
    expect(mine.body[0]).toMatchObject({ id: winner.id, status: 'won', prize: 'awaiting_address' });
    const claimed = await shop(t, cookie, account.appid, 'POST', `/trial-entries/${winner.id}/claim`, {
      address,
    });
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(201);
    expect(claimed.body).toMatchObject({ total: 0, discount: 29_900, status: 'paid' });
    expect(claimed.body.adjustments[0]).toMatchObject({ kind: 'trial', amount: 29_900 });
    const twice = await shop(t, cookie, account.appid, 'POST', `/trial-entries/${winner.id}/claim`, {
      address,
    });
    expect(twice.body.error.code).toBe('already_claimed');

    // A loser cannot claim a prize, and nobody can claim another fan's.
    const loserCookie = await fanSession(t, account.appid, losers[0]!.openid);
    expect(
      (
        await shop(t, loserCookie, account.appid, 'POST', `/trial-entries/${losers[0]!.id}/claim`, {
          address,
        })
      ).body.error.code,
    ).toBe('not_a_winner');
    expect(
      (
        await shop(t, loserCookie, account.appid, 'POST', `/trial-entries/${winners[1]!.id}/claim`, {
          address,
        })
      ).status,
    ).toBe(404);
  });

  it('the operator picks a winner by hand; a winner with a saved address gets the order at once', async () => {
    // The fan bought before, so the address book has her address.
    const fanCtx = merchantCtx(t.deps, merchantId, { kind: 'fan', accountId: account.id, openid: 'o_saved' });
    await placeOrder(fanCtx, { items: [{ sku_id: sku, quantity: 1 }], address, payment_method: 'wechat' });

    const created = await trial(1, '精华试用');
    await say(t, account.appid, 'o_saved', '精华试用 老顾客，回购三次了');
    await say(t, account.appid, 'o_other', '精华试用 想试试');
    const list = await entries(created.id);
    const pick = list.find((e) => e.openid === 'o_saved')!;
    const outsider = await t.call(token, 'POST', `/api/v1/growth/trials/${created.id}/draw`, {
      mode: 'manual',
      entry_ids: ['ent_not_here'],
    });
    expect(outsider.body.error.code).toBe('invalid_winners');
    const drawn = await t.call(token, 'POST', `/api/v1/growth/trials/${created.id}/draw`, {
      mode: 'manual',
      entry_ids: [pick.id],
    });
    expect(drawn.status).toBe(200);
    await t.worker.drain();
    const won = (await entries(created.id)).find((e) => e.id === pick.id)!;
    expect(won).toMatchObject({ status: 'won', prize: 'ordered' });
    const order = (await t.call(token, 'GET', `/api/v1/orders/${won.order_id}`)).body;
    expect(order).toMatchObject({ total: 0, status: 'paid', openid: 'o_saved', source: 'trial' });
  });

  it('only operators run trials', async () => {
    const agent = (await t.call(token, 'POST', '/api/v1/tokens', { name: '客服', role: 'agent' })).body.token;
    const refused = await t.call(agent, 'POST', '/api/v1/growth/trials', {
      account_id: account.id,
      title: 'x',
      sku_id: sku,
      units: 1,
      keyword: 'x',
      closes_at: t.clock.now() + 1000,
    });
    expect(refused.status).toBe(403);
  });
});
