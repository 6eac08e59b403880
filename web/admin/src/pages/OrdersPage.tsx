import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Descriptions,
  Drawer,
  Form,
  Input,
  Select,
  Space,
  Table,
  Tag,
  Timeline,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, time } from '../api.ts';
import { useT } from '../i18n.ts';

interface Order {
  id: string;
  status: string;
  payment_method: 'wechat' | 'cod';
  total: number;
  openid: string;
  created_at: number;
  carrier: string | null;
  tracking_no: string | null;
  address: { name: string; phone: string; region: string; detail: string } | null;
  pickup_store_id: string | null;
  pickup_code: string | null;
  collected_at: number | null;
  collected_by: string | null;
  items: Array<{ id: string; title: string; spec_text: string; quantity: number; subtotal: number }>;
  events?: Array<{ from_status: string | null; to_status: string; actor: string; created_at: number }>;
}

export const ORDER_STATUS: Record<string, { label: string; color: string }> = {
  pending_payment: { label: '待支付', color: 'gold' },
  paid: { label: '待发货', color: 'blue' },
  shipped: { label: '已发货', color: 'cyan' },
  completed: { label: '已完成', color: 'green' },
  cancelled: { label: '已取消', color: 'default' },
  refunding: { label: '退款中', color: 'orange' },
  refunded: { label: '已退款', color: 'red' },
};

export function OrdersPage() {
  const t = useT();
  const { message } = AntApp.useApp();
  const [status, setStatus] = useState<string | undefined>();
  const [orders, setOrders] = useState<Order[]>([]);
  const [open, setOpen] = useState<Order | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stores, setStores] = useState<Record<string, string>>({});
  useEffect(() => {
    void get<{ items: Array<{ id: string; name: string }> }>('/stores?limit=200').then((page) =>
      setStores(Object.fromEntries(page.items.map((s) => [s.id, s.name]))),
    );
  }, []);
  const load = useCallback(async () => {
    setOrders((await get<{ items: Order[] }>(`/orders?limit=100${status ? `&status=${status}` : ''}`)).items);
  }, [status]);
  useEffect(() => {
    void load();
  }, [load]);
  const show = async (id: string) => setOpen(await get<Order>(`/orders/${id}`));
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      message.success('已完成');
      if (open) await show(open.id);
      void load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <Card
      title={t('订单')}
      extra={<a href={`/api/v1/orders/export${status ? `?status=${status}` : ''}`}>{t('导出 CSV')}</a>}
    >
      <Select
        allowClear
        placeholder="订单状态"
        style={{ width: 160, marginBottom: 16 }}
        options={Object.entries(ORDER_STATUS).map(([value, s]) => ({ value, label: s.label }))}
        onChange={setStatus}
      />
      <Table<Order>
        rowKey="id"
        dataSource={orders}
        pagination={{ pageSize: 20 }}
        onRow={(order) => ({ onClick: () => void show(order.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: '订单号', dataIndex: 'id' },
          { title: '商品', render: (_, o) => o.items.map((i) => `${i.title}×${i.quantity}`).join('，') },
          { title: '金额', render: (_, o) => fen(o.total) },
          { title: '支付', render: (_, o) => (o.payment_method === 'cod' ? '货到付款' : '微信支付') },
          {
            title: t('配送'),
            render: (_, o) =>
              o.pickup_store_id ? (
                <Tag color={o.collected_at ? 'green' : 'purple'}>
                  {t('自提')} · {stores[o.pickup_store_id] ?? o.pickup_store_id}
                </Tag>
              ) : (
                t('快递')
              ),
          },
          {
            title: '状态',
            render: (_, o) => (
              <Tag color={ORDER_STATUS[o.status]?.color}>{ORDER_STATUS[o.status]?.label ?? o.status}</Tag>
            ),
          },
          { title: '下单时间', render: (_, o) => time(o.created_at) },
        ]}
      />
      <Drawer open={!!open} size="large" title={open?.id} onClose={() => setOpen(null)}>
        {open && (
          <>
            {error && <Alert type="error" title={error} style={{ marginBottom: 12 }} />}
            <Descriptions column={1} size="small" bordered>
              <Descriptions.Item label="状态">
                {ORDER_STATUS[open.status]?.label ?? open.status}
              </Descriptions.Item>
              <Descriptions.Item label="金额">
                {fen(open.total)}（{open.payment_method === 'cod' ? '货到付款' : '微信支付'}）
              </Descriptions.Item>
              <Descriptions.Item label="商品">
                {open.items.map((i) => (
                  <div key={i.id}>
                    {i.title} {i.spec_text} ×{i.quantity} {fen(i.subtotal)}
                  </div>
                ))}
              </Descriptions.Item>
              <Descriptions.Item label="收货">
                {open.address
                  ? `${open.address.name} ${open.address.phone} ${open.address.region} ${open.address.detail}`
                  : '—'}
              </Descriptions.Item>
              <Descriptions.Item label="物流">
                {open.tracking_no ? `${open.carrier} ${open.tracking_no}` : '—'}
              </Descriptions.Item>
              {open.pickup_store_id && (
                <Descriptions.Item label={t('到店自提')}>
                  <div>
                    {stores[open.pickup_store_id] ?? open.pickup_store_id} · {t('提货码')} {open.pickup_code}
                  </div>
                  <div>
                    {open.collected_at
                      ? `${t('已提货')} ${time(open.collected_at)} · ${open.collected_by ?? ''}`
                      : t('未提货')}
                  </div>
                </Descriptions.Item>
              )}
            </Descriptions>
            {!open.pickup_store_id &&
              (open.status === 'paid' ||
                (open.status === 'pending_payment' && open.payment_method === 'cod')) && (
                <Form
                  layout="inline"
                  style={{ marginTop: 16 }}
                  onFinish={(values) => act(() => post(`/orders/${open.id}/ship`, values))}
                >
                  <Form.Item name="carrier" rules={[{ required: true }]}>
                    <Input placeholder="快递公司" aria-label="carrier" />
                  </Form.Item>
                  <Form.Item name="tracking_no" rules={[{ required: true }]}>
                    <Input placeholder="运单号" aria-label="tracking" />
                  </Form.Item>
                  <Button type="primary" htmlType="submit">
                    发货
                  </Button>
                </Form>
              )}
            <Space style={{ marginTop: 16 }}>
              {['paid', 'shipped', 'completed'].includes(open.status) && (
                <Button
                  danger
                  onClick={() => act(() => post(`/orders/${open.id}/refund`, { reason: '商家退款' }))}
                >
                  退款
                </Button>
              )}
              {open.status === 'pending_payment' && (
                <Button onClick={() => act(() => post(`/orders/${open.id}/cancel`))}>取消订单</Button>
              )}
            </Space>
            <Timeline
              style={{ marginTop: 24 }}
              items={(open.events ?? []).map((e) => ({
                content: `${time(e.created_at)} ${ORDER_STATUS[e.to_status]?.label ?? e.to_status} · ${e.actor}`,
              }))}
            />
          </>
        )}
      </Drawer>
    </Card>
  );
}
