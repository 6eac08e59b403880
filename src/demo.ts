import { type Ctx, merchantCtx, type SystemCtx } from './context.ts';
import { seedDemoCatalog } from './demo-catalog.ts';
import { provisionSimulatedPay } from './demo-pay.ts';
import type { AppDeps } from './deps.ts';
import { createAccount } from './modules/accounts/index.ts';
import {
  createQrCode,
  createRule,
  publishMenu,
  saveMenu,
  setSingletonRule,
} from './modules/channel/index.ts';
import { addMember, createMerchant, findMerchantBySlug, hasMerchants } from './modules/tenants/index.ts';
import { inTransaction } from './platform/db/database.ts';

export const DEMO = {
  slug: 'demo',
  name: '微乐演示店 Weiloop Demo',
  email: 'demo@weiloop.local',
  // A demo login for a local, loopback-only server; documented in the README.
  password: 'weiloop-demo',
  serviceAppId: 'wxd3m0service0001',
  subscriptionAppId: 'wxd3m0subscribe001',
  fan: 'o_demo_fan_1',
} as const;

export interface DemoInfo {
  merchantId: string;
  created: boolean;
}

/** Creates the demo merchant, its owner, two official accounts and their replies; once. */
export async function seedDemo(ctx: SystemCtx, deps?: AppDeps): Promise<DemoInfo> {
  const existing = await findMerchantBySlug(ctx, DEMO.slug);
  if (existing) return { merchantId: existing.id, created: false };
  const merchant = await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const merchant = await createMerchant(tx, { slug: DEMO.slug, name: DEMO.name });
    await addMember(
      { ...tx, merchantId: merchant.id },
      { email: DEMO.email, name: '演示店主', password: DEMO.password, role: 'owner' },
    );
    return merchant;
  });
  if (deps) await seedDemoChannel(merchantCtx(deps, merchant.id), deps);
  return { merchantId: merchant.id, created: true };
}

async function seedDemoChannel(ctx: Ctx, deps: AppDeps): Promise<void> {
  const service = await createAccount(ctx, deps, {
    name: '微乐服务号',
    appid: DEMO.serviceAppId,
    secret: 'demo-service-secret-0001',
    type: 'service',
    verified: true,
    token: 'weiloopdemo',
    aes_key: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    mode: 'safe',
  });
  await createAccount(ctx, deps, {
    name: '微乐订阅号',
    appid: DEMO.subscriptionAppId,
    secret: 'demo-subscription-secret-01',
    type: 'subscription',
    verified: true,
    token: 'weiloopdemo2',
    mode: 'plain',
  });
  const shop = `${deps.config.publicUrl}/shop`;
  await setSingletonRule(ctx, {
    account_id: service.id,
    kind: 'welcome',
    reply: {
      type: 'text',
      content:
        '欢迎关注微乐！回复「新客户」或「老客户」，我们为您准备不同的礼遇；回复「连衣裙」逛逛本周新品。',
    },
  });
  await setSingletonRule(ctx, {
    account_id: service.id,
    kind: 'default',
    reply: { type: 'text', content: '收到～客服小乐会尽快回复您（10 分钟内）。回复「帮助」查看常用指令。' },
  });
  const keyword = (
    keyword: string,
    content: string,
    extra: { match_type?: 'exact' | 'contains' | 'regex'; tag_fan?: string } = {},
  ) =>
    createRule(ctx, {
      account_id: service.id,
      kind: 'keyword',
      keyword,
      reply: { type: 'text', content },
      ...extra,
    });
  await keyword('新客户', '欢迎新朋友！首单立减 0.1 元体验价商品已为您准备好。', { tag_fan: '新客户' });
  await keyword('老客户', '感谢老朋友回来！会员专享价本周持续中。', { tag_fan: '老客户' });
  await keyword('帮助', '回复：新客户 / 老客户 / 会员 / 发货；或直接发送想买的商品名称。');
  await keyword('发货', '订单付款后 24 小时内发货，发货后会收到微信通知。', { match_type: 'contains' });
  await keyword('^会员|vip', '会员可享积分、专属价与生日礼，点击菜单「会员服务」开通。', {
    match_type: 'regex',
  });
  await createRule(ctx, {
    account_id: service.id,
    kind: 'click',
    keyword: 'NEW_THIS_WEEK',
    reply: {
      type: 'news',
      articles: [
        {
          title: '本周上新',
          description: '新品连衣裙、护肤套装与南京板鸭',
          url: `${shop}?tab=new`,
          picUrl: '',
        },
      ],
    },
  });
  await createRule(ctx, {
    account_id: service.id,
    kind: 'click',
    keyword: 'MEMBER',
    reply: { type: 'text', content: '会员服务：积分查询、会员卡、生日礼。回复「会员」了解更多。' },
  });
  await saveMenu(ctx, service.id, [
    { type: 'click', name: '本周上新', key: 'NEW_THIS_WEEK' },
    { type: 'view', name: '进店逛逛', url: shop },
    {
      name: '会员服务',
      sub_button: [
        { type: 'click', name: '会员卡', key: 'MEMBER' },
        { type: 'location_select', name: '附近门店', key: 'NEARBY' },
      ],
    },
  ]);
  await publishMenu(ctx, deps, service.id);
  await createQrCode(ctx, deps, { account_id: service.id, name: '门店收银台' });
  await createQrCode(ctx, deps, { account_id: service.id, name: '包裹感谢卡' });
  await seedDemoCatalog(ctx);
  await provisionSimulatedPay(deps, ctx.merchantId);
}

export async function isEmptyDatabase(ctx: SystemCtx): Promise<boolean> {
  return !(await hasMerchants(ctx));
}
