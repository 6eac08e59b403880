import { Alert, Button, Card, Descriptions, Form, Input, Select, Space, Statistic, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, put, time } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Voucher {
  id: string;
  code: string;
  order_id: string;
  title: string;
  openid: string;
  price: number;
  status: 'valid' | 'redeemed' | 'expired' | 'refunded';
  valid_until: number | null;
  redeemed_at: number | null;
  redeemed_store_id: string | null;
  redeemed_by: string | null;
  events?: Array<{
    action: string;
    store_id: string | null;
    actor: string;
    reason: string | null;
    created_at: number;
  }>;
}
interface Report {
  redemptions: Array<{ store_id: string; day: string; count: number; value: number }>;
  outstanding: { count: number; value: number };
  redeemed: { count: number; value: number };
  breakage: { count: number; value: number };
  refunded: { count: number; value: number };
}
interface Store {
  id: string;
  name: string;
}

const STATUS: Record<Voucher['status'], { label: string; color: string }> = {
  valid: { label: '待使用', color: 'green' },
  redeemed: { label: '已核销', color: 'blue' },
  expired: { label: '已过期', color: 'default' },
  refunded: { label: '已退款', color: 'orange' },
};
const ACTION: Record<string, string> = {
  redeem: '核销',
  reverse: '撤销核销',
  expire: '过期',
  refund: '退款',
};
const DAY = 86_400_000;

/** Group-buy vouchers: look one up, reverse a redemption (owner, with a reason), bind clerks, the store report. */
export function VouchersPage({ isOwner }: { isOwner: boolean }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [voucher, setVoucher] = useState<Voucher | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [stores, setStores] = useState<Store[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [clerks, setClerks] = useState<Array<{ value: string; label: string }>>([]);
  const [bound, setBound] = useState<string | null>(null);
  const load = useCallback(async () => {
    const now = Date.now();
    const [r, s] = await Promise.all([
      get<Report>(`/vouchers/report?from=${now - 30 * DAY}&to=${now + DAY}`),
      get<{ items: Store[] }>('/stores?limit=200'),
    ]);
    setReport(r);
    setStores(s.items);
    // Clerks are console members or API tokens of the clerk role (owners only may list them).
    const [members, tokens] = await Promise.all([
      get<Array<{ user_id: string; email: string; role: string }>>('/members').catch(() => []),
      get<Array<{ id: string; name: string; role: string }>>('/tokens').catch(() => []),
    ]);
    setClerks([
      ...members.filter((m) => m.role === 'clerk').map((m) => ({ value: m.user_id, label: m.email })),
      ...tokens.filter((k) => k.role === 'clerk').map((k) => ({ value: k.id, label: `${k.name}（API）` })),
    ]);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const storeName = (id: string | null) => stores.find((s) => s.id === id)?.name ?? id ?? '—';
  const open = async (code: string) => {
    setError(null);
    try {
      const found = await get<Voucher>(`/vouchers?code=${encodeURIComponent(code)}`);
      setVoucher(await get<Voucher>(`/vouchers/${found.id}`));
    } catch (e) {
      setVoucher(null);
      setError((e as Error).message);
    }
  };

  return (
    <>
      <Card title={t('团购券查询')} style={{ marginBottom: 16 }}>
        <Input.Search
          aria-label="code"
          placeholder={t('输入 12 位券码')}
          enterButton={t('查询')}
          style={{ maxWidth: 360 }}
          onSearch={open}
        />
        {error && <Alert type="error" title={error} style={{ marginTop: 16 }} />}
        {voucher && (
          <>
            <Descriptions bordered size="small" column={2} style={{ marginTop: 16 }}>
              <Descriptions.Item label={t('券码')}>{voucher.code}</Descriptions.Item>
              <Descriptions.Item label={t('状态')}>
                <Tag color={STATUS[voucher.status].color}>{t(STATUS[voucher.status].label)}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t('团购')}>{voucher.title}</Descriptions.Item>
              <Descriptions.Item label={t('金额')}>{fen(voucher.price)}</Descriptions.Item>
              <Descriptions.Item label={t('订单')}>{voucher.order_id}</Descriptions.Item>
              <Descriptions.Item label={t('买家')}>{voucher.openid}</Descriptions.Item>
              <Descriptions.Item label={t('有效期至')}>{time(voucher.valid_until)}</Descriptions.Item>
              <Descriptions.Item label={t('核销门店')}>
                {storeName(voucher.redeemed_store_id)}
              </Descriptions.Item>
            </Descriptions>
            <Table
              rowKey="id"
              size="small"
              style={{ marginTop: 16 }}
              pagination={false}
              dataSource={voucher.events ?? []}
              columns={[
                { title: t('时间'), render: (_, e) => time(e.created_at) },
                { title: t('操作'), render: (_, e) => t(ACTION[e.action] ?? e.action) },
                { title: t('门店'), render: (_, e) => storeName(e.store_id) },
                { title: t('操作人'), dataIndex: 'actor' },
                { title: t('原因'), render: (_, e) => e.reason ?? '' },
              ]}
            />
            {isOwner && voucher.status === 'redeemed' && (
              <Space style={{ marginTop: 16 }}>
                <Input
                  aria-label="reason"
                  placeholder={t('撤销原因（必填）')}
                  value={reason}
                  maxLength={200}
                  onChange={(e) => setReason(e.target.value)}
                />
                <Button
                  danger
                  disabled={!reason.trim()}
                  onClick={async () => {
                    await post(`/vouchers/${voucher.id}/reverse`, { reason });
                    setReason('');
                    await open(voucher.code);
                    await load();
                  }}
                >
                  {t('撤销核销')}
                </Button>
              </Space>
            )}
          </>
        )}
      </Card>
      {report && (
        <Card title={t('核销报表（近 30 天）')} style={{ marginBottom: 16 }}>
          <Space size="large" style={{ marginBottom: 16 }}>
            <Statistic
              title={t('已核销')}
              value={report.redeemed.count}
              suffix={fen(report.redeemed.value)}
            />
            <Statistic
              title={t('待使用')}
              value={report.outstanding.count}
              suffix={fen(report.outstanding.value)}
            />
            <Statistic
              title={t('过期未用')}
              value={report.breakage.count}
              suffix={fen(report.breakage.value)}
            />
            <Statistic
              title={t('已退款')}
              value={report.refunded.count}
              suffix={fen(report.refunded.value)}
            />
          </Space>
          <Table
            rowKey={(r) => `${r.store_id}:${r.day}`}
            size="small"
            dataSource={report.redemptions}
            columns={[
              { title: t('日期'), dataIndex: 'day' },
              { title: t('门店'), render: (_, r) => storeName(r.store_id) },
              { title: t('核销数'), dataIndex: 'count' },
              { title: t('金额'), render: (_, r) => fen(r.value) },
            ]}
          />
        </Card>
      )}
      {isOwner && canEdit && (
        <Card title={t('店员绑定门店')}>
          <Form
            layout="inline"
            onFinish={async (v) => {
              const done = await put<{ store_name: string }>(
                `/clerks/${encodeURIComponent(v.principal)}/store`,
                {
                  store_id: v.store,
                },
              );
              setBound(done.store_name);
            }}
          >
            <Form.Item name="principal" label={t('店员')} rules={[{ required: true }]}>
              <Select style={{ width: 260 }} options={clerks} />
            </Form.Item>
            <Form.Item name="store" label={t('门店')} rules={[{ required: true }]}>
              <Select style={{ width: 200 }} options={stores.map((s) => ({ value: s.id, label: s.name }))} />
            </Form.Item>
            <Button htmlType="submit">{t('绑定')}</Button>
            {bound && <Tag color="green">{bound}</Tag>}
          </Form>
          <p style={{ marginTop: 12 }}>
            {t('店员在手机上打开')} <a href="/clerk">{`${location.origin}/clerk`}</a> {t('登录后即可核销')}
          </p>
        </Card>
      )}
    </>
  );
}
