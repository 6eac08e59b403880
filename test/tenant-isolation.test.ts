import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { activateForOrder, createPost, joinPlan } from '../src/modules/community/index.ts';
import { logTail } from '../src/modules/crm/index.ts';
import { moveBalance, requestWithdrawal } from '../src/modules/growth/index.ts';
import { inboxTail } from '../src/modules/inbox/index.ts';
import { issueCard, redeemReward } from '../src/modules/loyalty/index.ts';
import {
  markPaid,
  placeOrder,
  reviewOrder,
  saveOrderSettings,
  shipOrder,
} from '../src/modules/orders/index.ts';
import { inTransaction } from '../src/platform/db/database.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount, fan, say } from './support/wechat-fan.ts';

/**
 * One merchant's token must never read or change another's rows, through any route. Every
 * route with an {id} needs an entry here: a way to create such a row in merchant A and a valid
 * body per method. A new route without an entry fails this test until someone adds one.
 */
type Fixture = {
  create(t: TestApp, token: string): Promise<string>;
  bodies: Partial<Record<'patch' | 'put' | 'post' | 'delete' | 'get', unknown>>;
};

const account = async (t: TestApp, token: string) => (await connectAccount(t, token)).id;
let accountInA = '';

const product = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/products', {
      title: 'A 的连衣裙',
      status: 'on_sale',
      skus: [{ spec: { 尺码: 'M' }, price: 19900, stock: 5 }],
    })
  ).body as { id: string; skus: Array<{ id: string }> };
let productInA: { id: string; skus: Array<{ id: string }> };
let storeInA = '';

const broadcastInA = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/broadcasts', {
      account_id: accountInA,
      kind: 'text',
      text: 'A 的群发',
      audience: { kind: 'all' },
    })
  ).body.id as string;

const campaignInA = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
      name: 'A 的发券活动',
      kind: 'fixed',
      value: 100,
      total_limit: 10,
      valid_days: 7,
    })
  ).body.id as string;

let orderInA = '';
async function placeOrderInA(t: TestApp): Promise<string> {
  await saveOrderSettings(merchantCtx(t.deps, a.id), { cod_enabled: true });
  const ctx = merchantCtx(t.deps, a.id, { kind: 'fan', accountId: accountInA, openid: 'o_buyer_a' });
  const order = await placeOrder(ctx, {
    items: [{ sku_id: productInA.skus[0]!.id, quantity: 1 }],
    address: { name: '张三', phone: '13800138000', region: '南京', detail: '中山路 1 号' },
    payment_method: 'cod',
  });
  return order.id;
}

const appidOf = async (t: TestApp, accountId: string) =>
  (
    await t.deps.db
      .selectFrom('official_accounts')
      .select('appid')
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow()
  ).appid;

/** A CRM member in A: a fan writes, and CRM's log reader catches up. */
async function memberInA(t: TestApp, openid: string): Promise<string> {
  await say(t, await appidOf(t, accountInA), openid, '你好');
  await logTail(t.deps)();
  const row = await t.deps.db
    .selectFrom('crm_identities')
    .select('member_id')
    .where('value', '=', `${accountInA}:${openid}`)
    .executeTakeFirstOrThrow();
  return row.member_id;
}
let crmMemberInA = '';
let tagInA = '';
let segmentInA = '';
let conversationInA = '';
let importInA = '';

const crmFixtures: Record<string, Fixture> = {
  '/api/v1/crm/members/{id}': { create: async () => crmMemberInA, bodies: { patch: { name: 'hijacked' } } },
  '/api/v1/crm/members/{id}/timeline': { create: async () => crmMemberInA, bodies: {} },
  '/api/v1/crm/members/{id}/notes': { create: async () => crmMemberInA, bodies: { post: { text: 'x' } } },
  '/api/v1/crm/members/{id}/merge': {
    create: async () => crmMemberInA,
    bodies: { post: { into_member_id: 'mem_none' } },
  },
  '/api/v1/crm/members/{id}/merges': { create: async () => crmMemberInA, bodies: {} },
  '/api/v1/crm/merges/{id}/undo': {
    create: async (t, token) => {
      const from = await memberInA(t, 'o_crm_merge_from');
      const into = await memberInA(t, 'o_crm_merge_into');
      return (await t.call(token, 'POST', `/api/v1/crm/members/${from}/merge`, { into_member_id: into })).body
        .id;
    },
    bodies: {},
  },
  '/api/v1/crm/attributes/{id}': {
    create: async (t, token) =>
      (await t.call(token, 'POST', '/api/v1/crm/attributes', { key: 'skin', label: '肤质', type: 'text' }))
        .body.id,
    bodies: {},
  },
  '/api/v1/crm/tags/{id}': { create: async () => tagInA, bodies: { patch: { name: 'hijacked' } } },
  '/api/v1/crm/tags/{id}/members': {
    create: async () => tagInA,
    bodies: { post: { member_ids: ['mem_x'] } },
  },
  '/api/v1/crm/tags/{id}/remove': { create: async () => tagInA, bodies: { post: { member_ids: ['mem_x'] } } },
  '/api/v1/crm/segments/{id}': {
    create: async () => segmentInA,
    bodies: { put: { name: 'hijacked', rules: { op: 'and', rules: [] } } },
  },
  '/api/v1/crm/segments/{id}/snapshots': { create: async () => segmentInA, bodies: {} },
  '/api/v1/crm/snapshots/{id}/members': {
    create: async (t, token) =>
      (await t.call(token, 'POST', `/api/v1/crm/segments/${segmentInA}/snapshots`)).body.id,
    bodies: {},
  },
  '/api/v1/crm/care/{id}/done': {
    create: async () => crmMemberInA,
    bodies: { post: { reason: 'birthday' } },
  },
  '/api/v1/crm/imports/{id}': { create: async () => importInA, bodies: {} },
  '/api/v1/crm/imports/{id}/errors.csv': { create: async () => importInA, bodies: {} },
  '/api/v1/inbox/conversations/{id}': { create: async () => conversationInA, bodies: {} },
  '/api/v1/inbox/conversations/{id}/reply': {
    create: async () => conversationInA,
    bodies: { post: { text: 'x' } },
  },
  '/api/v1/inbox/conversations/{id}/notice': {
    create: async () => conversationInA,
    bodies: { post: { text: 'x' } },
  },
  '/api/v1/inbox/conversations/{id}/assign': {
    create: async () => conversationInA,
    bodies: { post: { assignee_id: null } },
  },
  '/api/v1/inbox/conversations/{id}/close': { create: async () => conversationInA, bodies: {} },
  '/api/v1/inbox/conversations/{id}/reopen': { create: async () => conversationInA, bodies: {} },
  '/api/v1/inbox/canned/{id}': {
    create: async (t, token) =>
      (await t.call(token, 'POST', '/api/v1/inbox/canned', { title: 'A', body: 'A 的回复' })).body.id,
    bodies: {},
  },
  '/api/v1/inbox/personas/{id}': {
    create: async () => accountInA,
    bodies: { put: { name: 'hijacked', avatar_url: null, signature: null, guidelines: null } },
  },
};

/** Rows the CRM and inbox fixtures share, made once A has an account. */
async function crmRowsInA(t: TestApp, token: string) {
  crmMemberInA = await memberInA(t, 'o_crm_a');
  tagInA = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: 'A 的标签', sync: false })).body.id;
  segmentInA = (
    await t.call(token, 'POST', '/api/v1/crm/segments', { name: 'A 的分群', rules: { op: 'and', rules: [] } })
  ).body.id;
  const upload = await t.app.inject({
    method: 'POST',
    url: '/api/v1/crm/imports',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    payload: 'name,phone\nA 的顾客,13700000001\n',
  });
  importInA = upload.json().id;
  await inboxTail(t.deps)();
  conversationInA = (
    await t.deps.db
      .selectFrom('inbox_conversations')
      .select('id')
      .where('openid', '=', 'o_crm_a')
      .executeTakeFirstOrThrow()
  ).id;
}

/** A redeemed voucher of A's (rows arranged directly: how it came to be is tested elsewhere). */
let voucherOfA = '';
async function voucherInA(t: TestApp): Promise<string> {
  if (voucherOfA) return voucherOfA;
  voucherOfA = 'vch_tenant_a';
  await t.deps.db
    .insertInto('vouchers')
    .values({
      id: voucherOfA,
      merchant_id: a.id,
      code: '123456789012',
      order_id: orderInA,
      order_item_id: 'oit_a',
      unit: 1,
      product_id: productInA.id,
      title: 'A 的团购',
      account_id: accountInA,
      openid: 'o_buyer_a',
      price: 100,
      store_ids: '[]',
      valid_from: 0,
      valid_until: null,
      status: 'redeemed',
      redeemed_at: 1,
      redeemed_store_id: storeInA,
      redeemed_by: 'user:a',
      created_at: 0,
    })
    .execute();
  return voucherOfA;
}

let saleOfA = '';
async function saleInA(t: TestApp, token: string): Promise<string> {
  saleOfA ||= (
    await t.call(token, 'POST', '/api/v1/flash-sales', {
      title: 'A 的秒杀',
      product_id: productInA.id,
      sku_id: productInA.skus[0]!.id,
      price: 100,
      stock: 1,
      opens_at: t.clock.now(),
      closes_at: t.clock.now() + 3_600_000,
    })
  ).body.id;
  return saleOfA;
}

const redPacketsInA = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/growth/red-packets', {
      account_id: accountInA,
      name: 'A 的红包',
      budget: 1000,
      amount_min: 100,
      amount_max: 100,
      trigger: 'link',
    })
  ).body.id as string;

let couponOfA = '';
async function couponCampaignInA(t: TestApp, token: string): Promise<string> {
  if (!couponOfA)
    couponOfA = (
      await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
        name: 'A 的分享券',
        kind: 'fixed',
        value: 100,
        total_limit: 10,
        valid_days: 7,
      })
    ).body.id;
  return couponOfA;
}
const shareCampaignInA = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/growth/share-campaigns', {
      account_id: accountInA,
      name: 'A 的分享',
      share_title: 'A',
      required_opens: 2,
      coupon_campaign_id: await couponCampaignInA(t, token),
      ends_at: t.clock.now() + 3_600_000,
    })
  ).body.id as string;
const drawInA = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/growth/draws', {
      account_id: accountInA,
      name: 'A 的抽奖',
      entry_rule: 'once',
      ends_at: t.clock.now() + 3_600_000,
      prizes: [{ name: '谢谢', kind: 'nothing', odds: 5000, stock: 0 }],
    })
  ).body.id as string;

let trialOfA = '';
async function trialInA(t: TestApp, token: string): Promise<string> {
  if (trialOfA) return trialOfA;
  trialOfA = (
    await t.call(token, 'POST', '/api/v1/growth/trials', {
      account_id: accountInA,
      title: 'A 的试用',
      sku_id: productInA.skus[0]!.id,
      units: 1,
      keyword: '试用A',
      closes_at: t.clock.now() + 3_600_000,
    })
  ).body.id;
  return trialOfA;
}

let distributorOfA = '';
async function distributorInA(t: TestApp, token: string): Promise<string> {
  if (!distributorOfA)
    distributorOfA = (
      await t.call(token, 'POST', '/api/v1/growth/distributors', {
        account_id: accountInA,
        openid: 'o_dist_a',
      })
    ).body.id;
  return distributorOfA;
}

/** A withdrawal request of A's distributor, from a balance arranged in A's ledger. */
async function withdrawalInA(t: TestApp, token: string): Promise<string> {
  const id = await distributorInA(t, token);
  const ctx = merchantCtx(t.deps, a.id);
  const ref = `test-${t.clock.now()}-${Math.random()}`;
  await inTransaction(t.deps.db, (trx) =>
    moveBalance({ ...ctx, db: trx }, { distributorId: id, kind: 'commission', amount: 500, ref }),
  );
  const fanCtx = merchantCtx(t.deps, a.id, { kind: 'fan', accountId: accountInA, openid: 'o_dist_a' });
  return (await requestWithdrawal(fanCtx, { accountId: accountInA, openid: 'o_dist_a' }, 500)).id;
}

let agentLevelOfA = '';
async function agentLevelInA(t: TestApp, token: string): Promise<string> {
  if (!agentLevelOfA)
    agentLevelOfA = (
      await t.call(token, 'POST', '/api/v1/growth/agent-levels', {
        name: 'A 的总代',
        rank: 1,
        upgrade_spend: 0,
      })
    ).body.id;
  return agentLevelOfA;
}
let agentOfA = '';
async function agentInA(t: TestApp, token: string): Promise<string> {
  if (!agentOfA)
    agentOfA = (
      await t.call(token, 'POST', '/api/v1/growth/agents', {
        name: 'A 的代理',
        phone: '13900000000',
        level_id: await agentLevelInA(t, token),
      })
    ).body.id;
  return agentOfA;
}

/** A member card in A, issued to a fan of A's account. */
let cardInA = '';
async function loyaltyCardInA(t: TestApp): Promise<string> {
  if (!cardInA)
    cardInA = (
      await issueCard(merchantCtx(t.deps, a.id), {
        accountId: accountInA,
        openid: 'o_card_a',
        source: 'console',
      })
    ).card.id;
  return cardInA;
}

const rewardBody = {
  name: 'A 的礼品',
  description: '',
  image_url: '',
  points: 10,
  stock: null,
  per_card_limit: 0,
  min_level: '',
  status: 'active',
};

async function redemptionInA(t: TestApp, token: string): Promise<string> {
  const cardId = await loyaltyCardInA(t);
  await t.call(token, 'POST', `/api/v1/loyalty/cards/${cardId}/adjustments`, {
    kind: 'points',
    delta: 10,
    reason: '夹具积分',
  });
  const reward = (await t.call(token, 'POST', '/api/v1/loyalty/rewards', rewardBody)).body.id;
  const buyer = merchantCtx(t.deps, a.id, { kind: 'fan', accountId: accountInA, openid: 'o_card_a' });
  return (await redeemReward(buyer, reward)).id;
}

/** A membership plan in A, and a board post by a paid member of A. */
let planOfA = '';
async function planInA(t: TestApp, token: string): Promise<string> {
  if (!planOfA)
    planOfA = (
      await t.call(token, 'POST', '/api/v1/community/plans', {
        name: 'A 的年度会员',
        period_days: 365,
        price: 100,
        seat_cap: 10,
        window_start: t.clock.now() - 1000,
        window_days: 30,
        repeat: 'yearly',
        status: 'active',
      })
    ).body.id;
  return planOfA;
}
let postOfA = '';
async function postInA(t: TestApp, token: string): Promise<string> {
  if (postOfA) return postOfA;
  const fan = merchantCtx(t.deps, a.id, { kind: 'fan', accountId: accountInA, openid: 'o_member_a' });
  const order = await joinPlan(fan, await planInA(t, token));
  await markPaid(merchantCtx(t.deps, a.id), order.id);
  await activateForOrder(merchantCtx(t.deps, a.id), order.id);
  postOfA = (await createPost(fan, { text: 'A 的帖子' })).id;
  return postOfA;
}
const articleInA = async (t: TestApp, token: string) =>
  (
    await t.call(token, 'POST', '/api/v1/community/articles', {
      title: 'A 的文章',
      body: '<p>A</p>',
      access: 'members',
      status: 'published',
    })
  ).body.id as string;
const articleBody = { title: 'hijacked', body: '<p>x</p>', access: 'free', status: 'draft' };
const planBody = {
  name: 'hijacked',
  period_days: 1,
  price: 1,
  seat_cap: 1,
  window_start: 0,
  window_days: 1,
  repeat: 'none',
  status: 'paused',
};

const communityFixtures: Record<string, Fixture> = {
  '/api/v1/community/articles/{id}': {
    create: articleInA,
    bodies: { put: articleBody },
  },
  '/api/v1/community/list-replies/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', '/api/v1/community/list-replies', {
          account_id: accountInA,
          menu_key: 'A_LIST',
          title: 'A 的列表',
        })
      ).body.id,
    bodies: {},
  },
  '/api/v1/community/plans/{id}': { create: planInA, bodies: { put: planBody } },
  '/api/v1/community/plans/{id}/sales': { create: planInA, bodies: {} },
  '/api/v1/community/posts/{id}': { create: postInA, bodies: { patch: { pinned: true } } },
  '/api/v1/community/posts/{id}/ban': { create: postInA, bodies: { post: { reason: '越权禁言' } } },
  '/api/v1/community/bans/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', `/api/v1/community/posts/${await postInA(t, token)}/ban`, {
          reason: 'A 自己禁言',
        })
      ).body.id,
    bodies: {},
  },
};

const fixtures: Record<string, Fixture> = {
  ...crmFixtures,
  ...communityFixtures,
  '/api/v1/loyalty/rewards/{id}': {
    create: async (t, token) => (await t.call(token, 'POST', '/api/v1/loyalty/rewards', rewardBody)).body.id,
    bodies: { put: { ...rewardBody, name: 'hijacked' } },
  },
  '/api/v1/loyalty/topups/{id}/refund': {
    create: async (t) => {
      const id = 'top_isolation_a';
      await t.deps.db
        .insertInto('loyalty_topups')
        .values({
          id,
          merchant_id: a.id,
          card_id: await loyaltyCardInA(t),
          amount: 1_000,
          bonus: 0,
          charge_id: null,
          status: 'credited',
          created_at: 0,
          credited_at: 0,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return id;
    },
    bodies: {},
  },
  '/api/v1/loyalty/redemptions/{id}/cancel': {
    create: async (t, token) => redemptionInA(t, token),
    bodies: {},
  },
  '/api/v1/loyalty/cards/{id}': { create: async (t) => loyaltyCardInA(t), bodies: {} },
  '/api/v1/loyalty/cards/{id}/adjustments': {
    create: async (t) => loyaltyCardInA(t),
    bodies: { post: { kind: 'points', delta: 100, reason: '越权调整' } },
  },
  '/api/v1/orders/{id}': { create: async () => orderInA, bodies: {} },
  '/api/v1/orders/{id}/ship': {
    create: async () => orderInA,
    bodies: { post: { carrier: '顺丰', tracking_no: 'SF1' } },
  },
  '/api/v1/orders/{id}/refund': { create: async () => orderInA, bodies: { post: { reason: 'x' } } },
  '/api/v1/orders/{id}/cancel': { create: async () => orderInA, bodies: {} },
  '/api/v1/reviews/{id}': {
    create: async (t) => {
      const shipped = await placeOrderInA(t);
      await shipOrder(merchantCtx(t.deps, a.id), shipped, { carrier: '顺丰', tracking_no: 'SF2' });
      const buyer = merchantCtx(t.deps, a.id, { kind: 'fan', accountId: accountInA, openid: 'o_buyer_a' });
      await reviewOrder(buyer, shipped, {
        product_id: productInA.id,
        rating: 5,
        text: '很好',
      });
      return (
        await t.deps.db
          .selectFrom('reviews')
          .select('id')
          .where('order_id', '=', shipped)
          .executeTakeFirstOrThrow()
      ).id;
    },
    bodies: { patch: { hidden: true } },
  },
  '/api/v1/coupon-campaigns/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', '/api/v1/coupon-campaigns', {
          name: 'A 的券',
          kind: 'fixed',
          value: 100,
          total_limit: 10,
          valid_days: 7,
        })
      ).body.id,
    bodies: { patch: { status: 'paused' } },
  },
  '/api/v1/coupon-campaigns/{id}/triggers': {
    create: async (t, token) => campaignInA(t, token),
    bodies: { post: { kind: 'paid', min_total: 0 } },
  },
  '/api/v1/coupon-campaigns/{id}/pushes': {
    create: async (t, token) => campaignInA(t, token),
    bodies: { post: { segment_id: 'seg_none' } },
  },
  '/api/v1/coupon-triggers/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', `/api/v1/coupon-campaigns/${await campaignInA(t, token)}/triggers`, {
          kind: 'paid',
          min_total: 0,
        })
      ).body.id,
    bodies: {},
  },
  '/api/v1/vouchers/{id}': { create: async (t) => voucherInA(t), bodies: {} },
  '/api/v1/vouchers/{id}/reverse': {
    create: async (t) => voucherInA(t),
    bodies: { post: { reason: '撤销' } },
  },
  '/api/v1/clerks/{id}/store': {
    create: async (t, token) =>
      (await t.call(token, 'POST', '/api/v1/tokens', { name: 'A 店员', role: 'clerk' })).body.id,
    bodies: { put: { store_id: 'set in beforeAll' } },
  },
  '/api/v1/deals/{id}/voucher-policy': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', '/api/v1/products', {
          kind: 'deal',
          title: 'A 的团购',
          status: 'on_sale',
          skus: [{ spec: {}, price: 100, stock: 5 }],
        })
      ).body.id,
    bodies: { put: { refund_expired: true } },
  },
  '/api/v1/growth/trials/{id}': { create: async (t, token) => trialInA(t, token), bodies: {} },
  '/api/v1/growth/trials/{id}/entries': { create: async (t, token) => trialInA(t, token), bodies: {} },
  '/api/v1/growth/trials/{id}/audit': { create: async (t, token) => trialInA(t, token), bodies: {} },
  '/api/v1/growth/trials/{id}/draw': {
    create: async (t, token) => trialInA(t, token),
    bodies: { post: { mode: 'random' } },
  },
  '/api/v1/growth/red-packets/{id}': { create: async (t, token) => redPacketsInA(t, token), bodies: {} },
  '/api/v1/growth/red-packets/{id}/packets': {
    create: async (t, token) => redPacketsInA(t, token),
    bodies: {},
  },
  '/api/v1/growth/distributors/{id}/statement': {
    create: async (t, token) => distributorInA(t, token),
    bodies: {},
  },
  '/api/v1/growth/distributors/{id}/review': {
    create: async (t, token) => distributorInA(t, token),
    bodies: { post: { decision: 'suspend' } },
  },
  '/api/v1/growth/distributors/{id}/parent': {
    create: async (t, token) => distributorInA(t, token),
    bodies: { put: { parent_id: null } },
  },
  '/api/v1/growth/distribution/rules/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', '/api/v1/growth/distribution/rules', {
          scope: 'category',
          ref: `A 的类目 ${Math.random()}`,
          kind: 'percent',
          level1: 100,
          level2: 50,
        })
      ).body.id,
    bodies: {},
  },
  '/api/v1/growth/withdrawals/{id}/review': {
    create: async (t, token) => withdrawalInA(t, token),
    bodies: { post: { approve: false, reason: 'x' } },
  },
  '/api/v1/growth/agent-levels/{id}': {
    create: async (t, token) => agentLevelInA(t, token),
    bodies: { put: { name: 'B', rank: 5, upgrade_spend: 0 } },
  },
  '/api/v1/growth/agent-levels/{id}/prices': {
    create: async (t, token) => agentLevelInA(t, token),
    bodies: { put: { prices: [] } },
  },
  '/api/v1/growth/agents/{id}': { create: async (t, token) => agentInA(t, token), bodies: {} },
  '/api/v1/growth/agents/{id}/level': {
    create: async (t, token) => agentInA(t, token),
    bodies: { put: { level_id: 'alv_x' } },
  },
  '/api/v1/growth/agents/{id}/stock-orders': {
    create: async (t, token) => agentInA(t, token),
    bodies: { post: { from: 'merchant', items: [{ sku_id: 'sku_x', quantity: 1 }] } },
  },
  '/api/v1/growth/share-campaigns/{id}': { create: shareCampaignInA, bodies: {} },
  '/api/v1/growth/share-campaigns/{id}/end': { create: shareCampaignInA, bodies: {} },
  '/api/v1/growth/share-campaigns/{id}/shares': { create: shareCampaignInA, bodies: {} },
  '/api/v1/growth/draws/{id}': { create: drawInA, bodies: {} },
  '/api/v1/growth/draws/{id}/end': { create: drawInA, bodies: {} },
  '/api/v1/growth/draws/{id}/audit': { create: drawInA, bodies: {} },
  '/api/v1/flash-sales/{id}': { create: async (t, token) => saleInA(t, token), bodies: {} },
  '/api/v1/flash-sales/{id}/board': { create: async (t, token) => saleInA(t, token), bodies: {} },
  '/api/v1/flash-sales/{id}/resync': { create: async (t, token) => saleInA(t, token), bodies: {} },
  '/api/v1/broadcasts/{id}': { create: async (t, token) => broadcastInA(t, token), bodies: {} },
  '/api/v1/broadcasts/{id}/preview': {
    create: async (t, token) => broadcastInA(t, token),
    bodies: { post: { openids: ['o_buyer_a'] } },
  },
  '/api/v1/broadcasts/{id}/schedule': {
    create: async (t, token) => broadcastInA(t, token),
    bodies: { post: { preset: 'evening' } },
  },
  '/api/v1/broadcasts/{id}/cancel': { create: async (t, token) => broadcastInA(t, token), bodies: {} },
  '/api/v1/broadcasts/{id}/report': { create: async (t, token) => broadcastInA(t, token), bodies: {} },
  '/api/v1/products/{id}': { create: async () => productInA.id, bodies: { patch: { title: 'hijacked' } } },
  '/api/v1/skus/{id}/stock': { create: async () => productInA.skus[0]!.id, bodies: { put: { stock: 0 } } },
  '/api/v1/stores/{id}': { create: async () => storeInA, bodies: { patch: { name: 'hijacked' } } },
  '/api/v1/search/synonyms/{id}': {
    create: async (t, token) =>
      (await t.call(token, 'POST', '/api/v1/search/synonyms', { words: ['甲', '乙'] })).body.id,
    bodies: {},
  },
  '/api/v1/accounts/{id}': { create: async () => accountInA, bodies: { patch: { name: '改名' } } },
  '/api/v1/accounts/{id}/menu': {
    create: async () => accountInA,
    bodies: { put: { buttons: [{ type: 'click', name: '菜单', key: 'K' }] } },
  },
  '/api/v1/accounts/{id}/menu/publish': { create: async () => accountInA, bodies: {} },
  '/api/v1/accounts/{id}/verify-callback': { create: async () => accountInA, bodies: {} },
  '/api/v1/replies/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', '/api/v1/replies', {
          account_id: accountInA,
          kind: 'keyword',
          keyword: 'A 的秘密',
          reply: { type: 'text', content: 'secret' },
        })
      ).body.id,
    bodies: { patch: { keyword: 'hijacked', reply: { type: 'text', content: 'x' } } },
  },
  '/api/v1/qrcodes/{id}': {
    create: async (t, token) =>
      (await t.call(token, 'POST', '/api/v1/qrcodes', { account_id: accountInA, name: 'A 的码' })).body.id,
    bodies: {},
  },
  '/api/v1/followers/{id}': {
    create: async (t) => {
      const appid = (
        await t.deps.db
          .selectFrom('official_accounts')
          .select('appid')
          .where('id', '=', accountInA)
          .executeTakeFirstOrThrow()
      ).appid;
      await fan(t, appid, 'o_fan_of_a', { type: 'subscribe' });
      return (
        await t.deps.db
          .selectFrom('followers')
          .select('id')
          .where('openid', '=', 'o_fan_of_a')
          .executeTakeFirstOrThrow()
      ).id;
    },
    bodies: {},
  },
  '/api/v1/members/{id}': {
    create: async (t, token) =>
      (
        await t.call(token, 'POST', '/api/v1/members', {
          email: 'agent@a.test',
          password: 'agent-pass-1',
          role: 'agent',
        })
      ).body.user_id,
    bodies: { patch: { role: 'operator' } },
  },
  '/api/v1/tokens/{id}': {
    create: async (t, token) =>
      (await t.call(token, 'POST', '/api/v1/tokens', { name: 'a-erp', role: 'operator' })).body.id,
    bodies: {},
  },
};

let t: TestApp;
let a: { id: string; token: string };
let b: { id: string; token: string };
const createdInA: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestApp();
  a = await t.merchant('tenant-a');
  b = await t.merchant('tenant-b');
  accountInA = await account(t, a.token);
  productInA = await product(t, a.token);
  orderInA = '';
  storeInA = (
    await t.call(a.token, 'POST', '/api/v1/stores', {
      name: 'A 店',
      address: '南京',
      city: '南京',
      latitude: 32,
      longitude: 118.8,
    })
  ).body.id;
  orderInA = await placeOrderInA(t);
  fixtures['/api/v1/clerks/{id}/store']!.bodies.put = { store_id: storeInA };
  await crmRowsInA(t, a.token);
  for (const [path, fixture] of Object.entries(fixtures)) createdInA[path] = await fixture.create(t, a.token);
  // Dozens of fixtures through the HTTP API: on a busy PostgreSQL this takes longer than the default hook time.
}, 120_000);
afterAll(() => t.close());

async function adminRoutes(): Promise<Array<{ path: string; method: string }>> {
  const doc = (await t.call(null, 'GET', '/api/v1/openapi.json')).body as { paths: Record<string, object> };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith('/api/v1/'))
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ path, method })));
}

describe('tenant isolation', () => {
  it('has a cross-tenant case for every route that takes an id', async () => {
    const withId = [
      ...new Set((await adminRoutes()).filter((r) => r.path.includes('{id}')).map((r) => r.path)),
    ];
    expect(withId.filter((p) => !fixtures[p])).toEqual([]);
  });

  it("answers 404 to merchant B on every one of merchant A's rows, and changes nothing", async () => {
    const routes = (await adminRoutes()).filter((r) => r.path.includes('{id}'));
    expect(routes.length).toBeGreaterThan(0);
    for (const { path, method } of routes) {
      const id = createdInA[path]!;
      const body = fixtures[path]!.bodies[method as keyof Fixture['bodies']];
      const response = await t.call(b.token, method.toUpperCase() as 'GET', path.replace('{id}', id), body);
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    // A still sees all of its rows as they were.
    const members = (await t.call(a.token, 'GET', '/api/v1/members')).body as Array<{
      user_id: string;
      role: string;
    }>;
    expect(members.find((m) => m.user_id === createdInA['/api/v1/members/{id}'])?.role).toBe('agent');
    const order = (await t.call(a.token, 'GET', `/api/v1/orders/${orderInA}`)).body;
    expect(order.status).toBe('pending_payment');
    const kept = (await t.call(a.token, 'GET', `/api/v1/products/${productInA.id}`)).body;
    expect(kept.title).toBe('A 的连衣裙');
    expect(kept.skus[0].stock).toBe(3);
    const tokens = (await t.call(a.token, 'GET', '/api/v1/tokens')).body as Array<{ id: string }>;
    expect(tokens.map((x) => x.id)).toContain(createdInA['/api/v1/tokens/{id}']);
    const article = (
      await t.call(
        a.token,
        'GET',
        `/api/v1/community/articles/${createdInA['/api/v1/community/articles/{id}']}`,
      )
    ).body;
    expect(article).toMatchObject({ title: 'A 的文章', status: 'published' });
    const post = (await t.call(a.token, 'GET', '/api/v1/community/posts')).body.items[0];
    expect(post).toMatchObject({ id: postOfA, pinned: false });
    const plan = (await t.call(a.token, 'GET', `/api/v1/community/plans/${planOfA}`)).body;
    expect(plan).toMatchObject({ name: 'A 的年度会员', status: 'active', seats_taken: 1 });
  });

  it("refuses merchant B's writes that name merchant A's account in the body", async () => {
    const attempts: Array<[string, unknown]> = [
      [
        '/api/v1/replies',
        { account_id: accountInA, kind: 'keyword', keyword: 'x', reply: { type: 'text', content: 'x' } },
      ],
      ['/api/v1/replies', { account_id: accountInA, kind: 'default', reply: { type: 'text', content: 'x' } }],
      ['/api/v1/replies/preview', { account_id: accountInA, text: 'A 的秘密' }],
      ['/api/v1/qrcodes', { account_id: accountInA, name: 'x' }],
      ['/api/v1/analytics/wechat-users/pull', { account_id: accountInA }],
      ['/api/v1/growth/distributors', { account_id: accountInA, openid: 'o_steal' }],
      [
        '/api/v1/growth/trials',
        {
          account_id: accountInA,
          title: 'x',
          sku_id: productInA.skus[0]!.id,
          units: 1,
          keyword: 'x',
          closes_at: t.clock.now() + 60_000,
        },
      ],
      ['/api/v1/products', { title: 'x', store_ids: [storeInA], skus: [{ spec: {}, price: 1, stock: 1 }] }],
      [
        '/api/v1/community/articles',
        { title: 'x', body: 'x', access: 'free', status: 'published', keyword: 'x', account_id: accountInA },
      ],
      ['/api/v1/community/list-replies', { account_id: accountInA, menu_key: 'B_LIST', title: 'x' }],
      [
        '/api/v1/growth/share-campaigns',
        {
          account_id: accountInA,
          name: 'x',
          share_title: 'x',
          required_opens: 2,
          coupon_campaign_id: couponOfA,
          ends_at: t.clock.now() + 60_000,
        },
      ],
      [
        '/api/v1/growth/draws',
        {
          account_id: accountInA,
          name: 'x',
          entry_rule: 'once',
          ends_at: t.clock.now() + 60_000,
          prizes: [{ name: 'x', kind: 'coupon', coupon_campaign_id: couponOfA, odds: 100, stock: 1 }],
        },
      ],
    ];
    for (const [path, body] of attempts) {
      const response = await t.call(b.token, 'POST', path, body);
      expect(response.status, path).toBe(404);
    }
    const rules = (await t.call(a.token, 'GET', `/api/v1/replies?account_id=${accountInA}`)).body as Array<{
      kind: string;
      keyword: string | null;
    }>;
    // A's own trial answers its keyword through a rule of A's (a `^keyword` regex), A's article
    // list answers its menu key A_LIST (a click rule); B added none.
    expect(
      rules
        .filter((r) => !r.keyword?.startsWith('^'))
        .map((r) => `${r.kind}:${r.keyword}`)
        .sort(),
    ).toEqual(['click:A_LIST', 'keyword:A 的秘密'].sort());
  });

  it("refuses merchant B's reads that name merchant A's account in the query", async () => {
    const day = 24 * 3_600_000;
    const reads = [
      `/api/v1/analytics/followers?from=${t.clock.now() - 7 * day}&to=${t.clock.now()}&account_id=${accountInA}`,
    ];
    for (const path of reads) {
      const response = await t.call(b.token, 'GET', path);
      expect(response.status, path).toBe(404);
      expect(response.body.error.code, path).toBe('not_found');
    }
  });

  it("never finds merchant A's products or stores in merchant B's search, deals or nearest stores", async () => {
    const search = await t.call(b.token, 'GET', `/api/v1/search?q=${encodeURIComponent('连衣裙')}`);
    expect(search.body.items).toEqual([]);
    const nearest = await t.call(b.token, 'GET', '/api/v1/stores/nearest?lat=32&lng=118.8');
    expect(nearest.body).toEqual([]);
    const own = await t.call(a.token, 'GET', `/api/v1/search?q=${encodeURIComponent('连衣裙')}`);
    expect(own.body.items.map((i: { id: string }) => i.id)).toEqual([productInA.id]);
  });

  it("keeps each merchant's notice templates and limits its own", async () => {
    await t.call(a.token, 'PUT', '/api/v1/notices/templates/order_paid', { template_id: 'TM_A_SECRET' });
    await t.call(a.token, 'PUT', '/api/v1/notices/settings', { daily_limit: 777, per_second: 7 });
    expect(JSON.stringify((await t.call(b.token, 'GET', '/api/v1/notices/templates')).body)).not.toContain(
      'TM_A_SECRET',
    );
    expect((await t.call(b.token, 'GET', '/api/v1/notices/settings')).body.daily_limit).not.toBe(777);
    await t.call(b.token, 'DELETE', '/api/v1/notices/templates/order_paid');
    await t.call(b.token, 'PUT', '/api/v1/notices/settings', { daily_limit: 1, per_second: 1 });
    const mine = (await t.call(a.token, 'GET', '/api/v1/notices/templates')).body as Array<{
      kind: string;
      template_id: string | null;
    }>;
    expect(mine.find((k) => k.kind === 'order_paid')?.template_id).toBe('TM_A_SECRET');
    expect((await t.call(a.token, 'GET', '/api/v1/notices/settings')).body.daily_limit).toBe(777);
  });

  it("never lists merchant A's rows to merchant B", async () => {
    const lists = (await adminRoutes()).filter((r) => r.method === 'get' && !r.path.includes('{'));
    expect(lists.length).toBeGreaterThan(2);
    for (const { path } of lists) {
      const response = await t.call(b.token, 'GET', path);
      const text = JSON.stringify(response.body);
      expect(text, path).not.toContain(a.id);
      for (const id of [accountInA, storeInA, productInA.id, ...Object.values(createdInA)]) {
        expect(text, path).not.toContain(id);
      }
    }
  });
});
