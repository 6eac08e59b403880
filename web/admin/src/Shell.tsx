import { Alert, App as AntApp, Button, Layout, Menu, Select, Space, Spin, Typography } from 'antd';
import { lazy, Suspense } from 'react';
import { type Account, post } from './api.ts';
import { CanEditContext, type Lang, useT } from './i18n.ts';
import { canSeePage, PAGES, type Page } from './page-list.ts';

// Each page is its own chunk, fetched when first opened: the dashboard brings ECharts, the
// catalog and orders their tables and forms, and no page pays for the others.
const AccountsPage = lazy(() =>
  import('./pages/AccountsPage.tsx').then((m) => ({ default: m.AccountsPage })),
);
const CatalogPage = lazy(() => import('./pages/CatalogPage.tsx').then((m) => ({ default: m.CatalogPage })));
const DashboardPage = lazy(() =>
  import('./pages/DashboardPage.tsx').then((m) => ({ default: m.DashboardPage })),
);
const FollowersPage = lazy(() =>
  import('./pages/FollowersPage.tsx').then((m) => ({ default: m.FollowersPage })),
);
const FollowerStatsPage = lazy(() =>
  import('./pages/FollowerStatsPage.tsx').then((m) => ({ default: m.FollowerStatsPage })),
);
const MenuPage = lazy(() => import('./pages/MenuPage.tsx').then((m) => ({ default: m.MenuPage })));
const OrdersPage = lazy(() => import('./pages/OrdersPage.tsx').then((m) => ({ default: m.OrdersPage })));
const QrCodesPage = lazy(() => import('./pages/QrCodesPage.tsx').then((m) => ({ default: m.QrCodesPage })));
const RepliesPage = lazy(() => import('./pages/RepliesPage.tsx').then((m) => ({ default: m.RepliesPage })));
const ReviewsPage = lazy(() => import('./pages/ReviewsPage.tsx').then((m) => ({ default: m.ReviewsPage })));
const CarePage = lazy(() => import('./pages/CarePage.tsx').then((m) => ({ default: m.CarePage })));
const InboxPage = lazy(() => import('./pages/InboxPage.tsx').then((m) => ({ default: m.InboxPage })));
const MembersPage = lazy(() => import('./pages/MembersPage.tsx').then((m) => ({ default: m.MembersPage })));
const SegmentsPage = lazy(() =>
  import('./pages/SegmentsPage.tsx').then((m) => ({ default: m.SegmentsPage })),
);
const TagsPage = lazy(() => import('./pages/TagsPage.tsx').then((m) => ({ default: m.TagsPage })));
const GrowthPage = lazy(() => import('./pages/GrowthPage.tsx').then((m) => ({ default: m.GrowthPage })));
const DistributionPage = lazy(() =>
  import('./pages/DistributionPage.tsx').then((m) => ({ default: m.DistributionPage })),
);
const CouponsPage = lazy(() => import('./pages/CouponsPage.tsx').then((m) => ({ default: m.CouponsPage })));
const VouchersPage = lazy(() =>
  import('./pages/VouchersPage.tsx').then((m) => ({ default: m.VouchersPage })),
);
const BroadcastsPage = lazy(() =>
  import('./pages/BroadcastsPage.tsx').then((m) => ({ default: m.BroadcastsPage })),
);
const FlashSalesPage = lazy(() =>
  import('./pages/FlashSalesPage.tsx').then((m) => ({ default: m.FlashSalesPage })),
);
const LoyaltyPage = lazy(() => import('./pages/LoyaltyPage.tsx').then((m) => ({ default: m.LoyaltyPage })));
const CommunityPage = lazy(() =>
  import('./pages/CommunityPage.tsx').then((m) => ({ default: m.CommunityPage })),
);
const StoresPage = lazy(() => import('./pages/StoresPage.tsx').then((m) => ({ default: m.StoresPage })));

export type { Page } from './page-list.ts';

export interface Me {
  actor: { role: string };
  merchant: { id: string; name: string };
  merchants: Array<{ id: string; name: string; role: string }>;
}

export default function Shell({
  me,
  page,
  accounts,
  accountId,
  lang,
  onLang,
  onAccount,
  onReload,
  onSignedOut,
}: {
  me: Me;
  page: Page;
  accounts: Account[];
  accountId: string | undefined;
  lang: Lang;
  onLang: (lang: Lang) => void;
  onAccount: (id: string | undefined) => void;
  onReload: () => Promise<void>;
  onSignedOut: () => void;
}) {
  const t = useT();
  const account = accounts.find((a) => a.id === accountId);
  const labels: Record<Page, string> = {
    dashboard: t('经营看板'),
    accounts: t('公众号'),
    replies: t('自动回复'),
    menu: t('自定义菜单'),
    qrcodes: t('渠道二维码'),
    followers: t('粉丝'),
    'follower-stats': t('粉丝分析'),
    inbox: t('客服消息'),
    broadcasts: t('群发'),
    members: t('会员'),
    care: t('今日关怀'),
    segments: t('分群'),
    tags: t('标签'),
    catalog: t('商品'),
    stores: t('门店'),
    orders: t('订单'),
    reviews: t('评价'),
    coupons: t('优惠券'),
    vouchers: t('团购券核销'),
    flash: t('秒杀'),
    growth: t('增长活动'),
    distribution: t('分销与代理'),
    loyalty: t('会员卡'),
    community: t('社区与付费会员'),
  };
  return (
    <AntApp>
      <Layout style={{ minHeight: '100vh' }}>
        <Layout.Sider theme="light" width={200}>
          <Typography.Title level={4} style={{ padding: '16px 24px', margin: 0 }}>
            微环 Weiloop
          </Typography.Title>
          <Menu
            mode="inline"
            selectedKeys={[page]}
            items={PAGES.filter((key) => canSeePage(key, me.actor.role)).map((key) => ({
              key,
              label: labels[key],
            }))}
            onClick={({ key }) => {
              location.hash = `#/${key}`;
            }}
          />
        </Layout.Sider>
        <Layout>
          <Layout.Header
            style={{
              background: '#fff',
              display: 'flex',
              justifyContent: 'space-between',
              alignItems: 'center',
              padding: '0 24px',
            }}
          >
            <Space>
              <Select
                aria-label="merchant"
                value={me.merchant.id}
                style={{ minWidth: 200 }}
                options={me.merchants.map((m) => ({ value: m.id, label: m.name }))}
                onChange={async (merchantId) => {
                  await post('/auth/switch-merchant', { merchant_id: merchantId });
                  onAccount(undefined);
                  await onReload();
                }}
              />
              {accounts.length > 0 && ['replies', 'menu', 'qrcodes'].includes(page) && (
                <Select
                  aria-label="account"
                  value={accountId}
                  style={{ minWidth: 200 }}
                  options={accounts.map((a) => ({
                    value: a.id,
                    label: `${a.name}（${a.type === 'service' ? '服务号' : '订阅号'}）`,
                  }))}
                  onChange={onAccount}
                />
              )}
            </Space>
            <Space>
              <Button size="small" onClick={() => onLang(lang === 'zh' ? 'en' : 'zh')}>
                {lang === 'zh' ? 'English' : '中文'}
              </Button>
              <Typography.Text type="secondary">{me.actor.role}</Typography.Text>
              <Button
                size="small"
                onClick={async () => {
                  await post('/auth/logout');
                  onSignedOut();
                }}
              >
                {t('退出')}
              </Button>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ margin: 24 }}>
            <CanEditContext.Provider value={me.actor.role === 'owner' || me.actor.role === 'operator'}>
              <Suspense fallback={<Spin style={{ margin: 80 }} />}>
                {page === 'dashboard' && canSeePage(page, me.actor.role) && (
                  <DashboardPage accounts={accounts} />
                )}
                {page === 'accounts' && <AccountsPage accounts={accounts} onChange={onReload} />}
                {page === 'replies' && account && <RepliesPage account={account} />}
                {page === 'menu' && account && <MenuPage account={account} />}
                {page === 'qrcodes' && account && <QrCodesPage account={account} />}
                {page === 'followers' && <FollowersPage accounts={accounts} />}
                {page === 'follower-stats' && canSeePage(page, me.actor.role) && (
                  <FollowerStatsPage accounts={accounts} canPull={me.actor.role !== 'agent'} />
                )}
                {page === 'inbox' && <InboxPage accounts={accounts} />}
                {page === 'broadcasts' && <BroadcastsPage accounts={accounts} />}
                {page === 'members' && <MembersPage />}
                {page === 'care' && <CarePage />}
                {page === 'segments' && <SegmentsPage />}
                {page === 'tags' && <TagsPage accounts={accounts} />}
                {page === 'catalog' && <CatalogPage />}
                {page === 'stores' && <StoresPage />}
                {page === 'orders' && <OrdersPage />}
                {page === 'reviews' && <ReviewsPage />}
                {page === 'coupons' && <CouponsPage accounts={accounts} />}
                {page === 'vouchers' && <VouchersPage isOwner={me.actor.role === 'owner'} />}
                {page === 'flash' && <FlashSalesPage accounts={accounts} />}
                {!canSeePage(page, me.actor.role) && (
                  <Alert
                    type="info"
                    title={t('你的角色无法使用此页面')}
                    description={
                      me.actor.role === 'clerk' ? <a href="/clerk">{t('打开店员核销页')}</a> : undefined
                    }
                  />
                )}
                {page === 'growth' && canSeePage(page, me.actor.role) && <GrowthPage accounts={accounts} />}
                {page === 'distribution' && canSeePage(page, me.actor.role) && (
                  <DistributionPage role={me.actor.role} />
                )}
                {page === 'loyalty' && <LoyaltyPage isOwner={me.actor.role === 'owner'} />}
                {page === 'community' && <CommunityPage accounts={accounts} />}
              </Suspense>
            </CanEditContext.Provider>
          </Layout.Content>
        </Layout>
      </Layout>
    </AntApp>
  );
}
