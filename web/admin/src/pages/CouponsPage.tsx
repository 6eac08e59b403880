import {
  Alert,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, api, fen, get, post } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';
import { CouponIssuePanel } from './CouponIssuePanel.tsx';

interface Campaign {
  id: string;
  name: string;
  kind: 'fixed' | 'threshold' | 'percent' | 'first_order' | 'free_shipping';
  value: number;
  min_spend: number;
  max_off: number;
  status: 'active' | 'paused';
  total_limit: number;
  claimed: number;
  used: number;
  spent: number;
  revenue: number;
  budget: number;
  valid_days: number | null;
  valid_until: number | null;
}

const KINDS: Record<Campaign['kind'], string> = {
  fixed: '无门槛立减',
  threshold: '满减',
  percent: '折扣',
  first_order: '首单价',
  free_shipping: '包邮',
};

function rule(c: Campaign): string {
  if (c.kind === 'fixed') return `减 ${fen(c.value)}`;
  if (c.kind === 'threshold') return `满 ${fen(c.min_spend)} 减 ${fen(c.value)}`;
  if (c.kind === 'percent') return `${c.value / 10} 折${c.max_off ? `，最高减 ${fen(c.max_off)}` : ''}`;
  if (c.kind === 'first_order') return `首单 ${fen(c.value)}`;
  return '包邮';
}

const toFen = (yuan: number | undefined) => Math.round((yuan ?? 0) * 100);

/** Coupon campaigns: create, pause, the claim link to share, and claimed → used → revenue. */
export function CouponsPage({ accounts }: { accounts: Account[] }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [campaigns, setCampaigns] = useState<Campaign[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [issuing, setIssuing] = useState<Campaign | null>(null);
  const [form] = Form.useForm();
  const kind = Form.useWatch('kind', form) as Campaign['kind'] | undefined;
  const load = useCallback(async () => setCampaigns(await get<Campaign[]>('/coupon-campaigns')), []);
  useEffect(() => {
    void load();
  }, [load]);
  const shop = accounts[0] ? `${location.origin}/shop/${accounts[0].appid}` : null;

  return (
    <>
      <Card title={t('优惠券')} style={{ marginBottom: 16 }}>
        <Table<Campaign>
          rowKey="id"
          dataSource={campaigns}
          pagination={{ pageSize: 20 }}
          columns={[
            { title: t('名称'), dataIndex: 'name' },
            { title: t('类型'), render: (_, c) => t(KINDS[c.kind]) },
            { title: t('规则'), render: (_, c) => rule(c) },
            { title: t('已领/总量'), render: (_, c) => `${c.claimed} / ${c.total_limit}` },
            { title: t('已使用'), dataIndex: 'used' },
            {
              title: t('使用率'),
              render: (_, c) => (c.claimed ? `${Math.round((c.used / c.claimed) * 100)}%` : '—'),
            },
            {
              title: t('优惠金额'),
              render: (_, c) => `${fen(c.spent)}${c.budget ? ` / ${fen(c.budget)}` : ''}`,
            },
            { title: t('带来成交'), render: (_, c) => fen(c.revenue) },
            {
              title: t('状态'),
              render: (_, c) => (
                <Tag color={c.status === 'active' ? 'green' : 'default'}>
                  {c.status === 'active' ? t('进行中') : t('已暂停')}
                </Tag>
              ),
            },
            {
              title: t('领取链接'),
              render: (_, c) =>
                shop ? (
                  <Typography.Text copyable style={{ wordBreak: 'break-all' }}>
                    {`${shop}/coupons/${c.id}`}
                  </Typography.Text>
                ) : (
                  '—'
                ),
            },
            {
              title: t('发放方式'),
              render: (_, c) => (
                <Button size="small" onClick={() => setIssuing(c)}>
                  {t('发放方式')}
                </Button>
              ),
            },
            {
              title: '',
              render: (_, c) =>
                canEdit && (
                  <Button
                    size="small"
                    onClick={async () => {
                      await api('PATCH', `/coupon-campaigns/${c.id}`, {
                        status: c.status === 'active' ? 'paused' : 'active',
                      });
                      await load();
                    }}
                  >
                    {c.status === 'active' ? t('暂停') : t('恢复')}
                  </Button>
                ),
            },
          ]}
        />
      </Card>
      <CouponIssuePanel campaign={issuing} accounts={accounts} onClose={() => setIssuing(null)} />
      {canEdit && (
        <Card title={t('新建优惠券')}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            form={form}
            layout="vertical"
            style={{ maxWidth: 560 }}
            initialValues={{
              kind: 'fixed',
              valid_days: 7,
              total_limit: 1000,
              per_fan_limit: 1,
              return_on_refund: true,
            }}
            onFinish={async (v) => {
              setError(null);
              try {
                await post('/coupon-campaigns', {
                  name: v.name,
                  kind: v.kind,
                  value: v.kind === 'percent' ? Math.round(v.percent ?? 80) : toFen(v.value),
                  min_spend: toFen(v.min_spend),
                  max_off: toFen(v.max_off),
                  valid_days: v.valid_days,
                  total_limit: v.total_limit,
                  per_fan_limit: v.per_fan_limit,
                  budget: toFen(v.budget),
                  return_on_refund: v.return_on_refund,
                });
                form.resetFields(['name']);
                await load();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Form.Item name="name" label={t('名称')} rules={[{ required: true }]}>
              <Input maxLength={60} placeholder="新人首单 1 毛钱" />
            </Form.Item>
            <Form.Item name="kind" label={t('类型')}>
              <Select options={Object.entries(KINDS).map(([value, label]) => ({ value, label: t(label) }))} />
            </Form.Item>
            {kind === 'percent' ? (
              <Form.Item name="percent" label={t('折扣（80 即 8 折）')} rules={[{ required: true }]}>
                <InputNumber min={1} max={99} />
              </Form.Item>
            ) : kind !== 'free_shipping' ? (
              <Form.Item
                name="value"
                label={kind === 'first_order' ? t('首单价（元）') : t('减免（元）')}
                rules={[{ required: true }]}
              >
                <InputNumber min={0.01} step={0.01} />
              </Form.Item>
            ) : null}
            <Space wrap>
              <Form.Item name="min_spend" label={t('门槛（元）')}>
                <InputNumber min={0} step={1} />
              </Form.Item>
              {kind === 'percent' && (
                <Form.Item name="max_off" label={t('最高减（元）')}>
                  <InputNumber min={0} step={1} />
                </Form.Item>
              )}
              <Form.Item name="valid_days" label={t('领取后有效天数')}>
                <InputNumber min={1} max={3650} />
              </Form.Item>
              <Form.Item name="total_limit" label={t('发放总量')}>
                <InputNumber min={1} />
              </Form.Item>
              <Form.Item name="per_fan_limit" label={t('每人限领')}>
                <InputNumber min={1} max={100} />
              </Form.Item>
              <Form.Item name="budget" label={t('预算（元，0 不限）')}>
                <InputNumber min={0} step={100} />
              </Form.Item>
            </Space>
            <Form.Item name="return_on_refund" label={t('退款后退还未过期的券')} valuePropName="checked">
              <Switch />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('创建')}
            </Button>
          </Form>
        </Card>
      )}
    </>
  );
}
