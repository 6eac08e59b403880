import { Button, Layout, Menu, Select, Space, Spin, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, get, post } from './api.ts';
import { CanEditContext, type Lang, useT } from './i18n.ts';
import { AccountsPage } from './pages/AccountsPage.tsx';
import { CarePage } from './pages/CarePage.tsx';
import { CatalogPage } from './pages/CatalogPage.tsx';
import { CouponsPage } from './pages/CouponsPage.tsx';
import { DashboardPage } from './pages/DashboardPage.tsx';
import { FlashSalesPage } from './pages/FlashSalesPage.tsx';
import { FollowersPage } from './pages/FollowersPage.tsx';
import { InboxPage } from './pages/InboxPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { MembersPage } from './pages/MembersPage.tsx';
import { MenuPage } from './pages/MenuPage.tsx';
import { OrdersPage } from './pages/OrdersPage.tsx';
import { QrCodesPage } from './pages/QrCodesPage.tsx';
import { RepliesPage } from './pages/RepliesPage.tsx';
import { ReviewsPage } from './pages/ReviewsPage.tsx';
import { SegmentsPage } from './pages/SegmentsPage.tsx';
import { StoresPage } from './pages/StoresPage.tsx';
import { TagsPage } from './pages/TagsPage.tsx';
import { VouchersPage } from './pages/VouchersPage.tsx';

interface Me {
  actor: { role: string };
  merchant: { id: string; name: string };
  merchants: Array<{ id: string; name: string; role: string }>;
}

const PAGES = [
  'dashboard',
  'accounts',
  'replies',
  'menu',
  'qrcodes',
  'followers',
  'inbox',
  'members',
  'care',
  'segments',
  'tags',
  'catalog',
  'stores',
  'orders',
  'reviews',
  'coupons',
  'vouchers',
  'flash',
] as const;
type Page = (typeof PAGES)[number];

function currentPage(): Page {
  const hash = location.hash.replace(/^#\/?/, '');
  return (PAGES as readonly string[]).includes(hash) ? (hash as Page) : 'dashboard';
}

export function App({ lang, onLang }: { lang: Lang; onLang: (lang: Lang) => void }) {
  const t = useT();
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [page, setPage] = useState<Page>(currentPage());
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [accountId, setAccountId] = useState<string | undefined>();

  const load = useCallback(async () => {
    try {
      // Ask first, so a signed-out visit shows the login without a 401 in the browser console.
      const session = await get<{ signed_in: boolean }>('/auth/session');
      if (!session.signed_in) {
        setMe(null);
        return;
      }
      setMe(await get<Me>('/auth/me'));
      const list = await get<Account[]>('/accounts');
      setAccounts(list);
      setAccountId((current) => current ?? list[0]?.id);
    } catch {
      setMe(null);
    }
  }, []);

  useEffect(() => {
    void load();
    const onHash = () => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [load]);

  if (me === undefined) return <Spin style={{ margin: 80 }} />;
  if (me === null) return <LoginPage onLogin={load} />;

  const account = accounts.find((a) => a.id === accountId);
  const labels: Record<Page, string> = {
    dashboard: t('经营看板'),
    accounts: t('公众号'),
    replies: t('自动回复'),
    menu: t('自定义菜单'),
    qrcodes: t('渠道二维码'),
    followers: t('粉丝'),
    inbox: t('客服消息'),
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
  };
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Sider theme="light" width={200}>
        <Typography.Title level={4} style={{ padding: '16px 24px', margin: 0 }}>
          微环 Weiloop
        </Typography.Title>
        <Menu
          mode="inline"
          selectedKeys={[page]}
          items={PAGES.map((key) => ({ key, label: labels[key] }))}
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
                setAccountId(undefined);
                await load();
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
                onChange={setAccountId}
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
                setMe(null);
              }}
            >
              {t('退出')}
            </Button>
          </Space>
        </Layout.Header>
        <Layout.Content style={{ margin: 24 }}>
          <CanEditContext.Provider value={me.actor.role === 'owner' || me.actor.role === 'operator'}>
            {page === 'dashboard' && <DashboardPage accounts={accounts} />}
            {page === 'accounts' && <AccountsPage accounts={accounts} onChange={load} />}
            {page === 'replies' && account && <RepliesPage account={account} />}
            {page === 'menu' && account && <MenuPage account={account} />}
            {page === 'qrcodes' && account && <QrCodesPage account={account} />}
            {page === 'followers' && <FollowersPage accounts={accounts} />}
            {page === 'inbox' && <InboxPage accounts={accounts} />}
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
          </CanEditContext.Provider>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
