import {
  Alert,
  Button,
  Card,
  Checkbox,
  Col,
  Form,
  Input,
  InputNumber,
  Row,
  Select,
  Statistic,
  Table,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, fen, get, post, time } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Sale {
  id: string;
  title: string;
  product_id: string;
  sku_id: string;
  price: number;
  stock: number;
  sold: number;
  paid: number;
  per_buyer_limit: number;
  requires_reservation: number;
  opens_at: number;
  closes_at: number;
}
interface Board {
  stock: number;
  sold: number;
  paid: number;
  awaiting_payment: number;
  returned: number;
  left: number;
  gate_left: number | null;
  attempts: number;
  reservations: number;
}
interface Product {
  id: string;
  title: string;
  kind: string;
  skus?: Array<{ id: string; spec: Record<string, string>; price: number; stock: number }>;
}

/** "2026-11-26T20:00" (the browser's local time) → epoch ms. */
const fromLocal = (value: string) => new Date(value).getTime();

/** Flash sales: the editor, and a live board during the sale (sold, waiting, paid, returned). */
export function FlashSalesPage({ accounts }: { accounts: Account[] }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [sales, setSales] = useState<Sale[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [board, setBoard] = useState<Board | null>(null);
  const [products, setProducts] = useState<Product[]>([]);
  const [skus, setSkus] = useState<NonNullable<Product['skus']>>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const list = await get<Sale[]>('/flash-sales');
    setSales(list);
    setSelected((current) => current ?? list[0]?.id ?? null);
  }, []);
  useEffect(() => {
    void load();
    void get<{ items: Product[] }>('/products?kind=goods&limit=200').then((r) => setProducts(r.items));
  }, [load]);
  // The board refreshes every two seconds while it is open: numbers a person watches, not a feed.
  useEffect(() => {
    if (!selected) return;
    let stop = false;
    const tick = async () => {
      if (stop) return;
      setBoard(await get<Board>(`/flash-sales/${selected}/board`).catch(() => null));
      if (!stop) setTimeout(tick, 2000);
    };
    void tick();
    return () => {
      stop = true;
    };
  }, [selected]);
  const shop = accounts[0] ? `${location.origin}/shop/${accounts[0].appid}` : null;

  return (
    <>
      <Card title={t('秒杀活动')} style={{ marginBottom: 16 }}>
        <Table<Sale>
          rowKey="id"
          dataSource={sales}
          pagination={false}
          rowSelection={{
            type: 'radio',
            selectedRowKeys: selected ? [selected] : [],
            onChange: (keys) => setSelected(String(keys[0])),
          }}
          columns={[
            { title: t('名称'), dataIndex: 'title' },
            { title: t('秒杀价'), render: (_, s) => fen(s.price) },
            { title: t('库存'), dataIndex: 'stock' },
            { title: t('开始'), render: (_, s) => time(s.opens_at) },
            { title: t('结束'), render: (_, s) => time(s.closes_at) },
            { title: t('需预约'), render: (_, s) => (s.requires_reservation ? t('是') : t('否')) },
            {
              title: t('活动页'),
              render: (_, s) =>
                shop ? (
                  <Typography.Text copyable style={{ wordBreak: 'break-all' }}>
                    {`${shop}/flash/${s.id}`}
                  </Typography.Text>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      </Card>
      {board && (
        <Card
          title={t('实时看板')}
          style={{ marginBottom: 16 }}
          extra={
            canEdit && (
              <Button
                size="small"
                onClick={async () => setBoard(await post<Board>(`/flash-sales/${selected}/resync`))}
              >
                {t('从数据库重建闸门')}
              </Button>
            )
          }
        >
          <Row gutter={16} id="board">
            <Col span={3}>
              <Statistic title={t('库存')} value={board.stock} />
            </Col>
            <Col span={3}>
              <Statistic title={t('已抢')} value={board.sold} />
            </Col>
            <Col span={3}>
              <Statistic title={t('已支付')} value={board.paid} />
            </Col>
            <Col span={3}>
              <Statistic title={t('待支付')} value={board.awaiting_payment} />
            </Col>
            <Col span={3}>
              <Statistic title={t('超时退回')} value={board.returned} />
            </Col>
            <Col span={3}>
              <Statistic title={t('剩余')} value={board.left} />
            </Col>
            <Col span={3}>
              <Statistic title={t('抢购请求')} value={board.attempts} />
            </Col>
            <Col span={3}>
              <Statistic title={t('预约人数')} value={board.reservations} />
            </Col>
          </Row>
          {board.gate_left !== null && board.gate_left !== board.left && (
            <Alert
              type="warning"
              style={{ marginTop: 12 }}
              title={`${t('闸门剩余')} ${board.gate_left} ≠ ${t('数据库剩余')} ${board.left}`}
            />
          )}
        </Card>
      )}
      {canEdit && (
        <Card title={t('新建秒杀')}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            layout="vertical"
            style={{ maxWidth: 560 }}
            initialValues={{ per_buyer_limit: 1, requires_reservation: true, remind_before_minutes: 10 }}
            onFinish={async (v) => {
              setError(null);
              try {
                await post('/flash-sales', {
                  title: v.title,
                  product_id: v.product_id,
                  sku_id: v.sku_id,
                  price: Math.round(v.price * 100),
                  stock: v.stock,
                  opens_at: fromLocal(v.opens_at),
                  closes_at: fromLocal(v.closes_at),
                  per_buyer_limit: v.per_buyer_limit,
                  requires_reservation: v.requires_reservation,
                  remind_before_minutes: v.remind_before_minutes,
                });
                await load();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Form.Item name="title" label={t('名称')} rules={[{ required: true }]}>
              <Input maxLength={60} />
            </Form.Item>
            <Form.Item name="product_id" label={t('商品')} rules={[{ required: true }]}>
              <Select
                showSearch
                optionFilterProp="label"
                options={products.map((p) => ({ value: p.id, label: p.title }))}
                onChange={async (id: string) => setSkus((await get<Product>(`/products/${id}`)).skus ?? [])}
              />
            </Form.Item>
            <Form.Item name="sku_id" label={t('规格')} rules={[{ required: true }]}>
              <Select
                options={skus.map((s) => ({
                  value: s.id,
                  label: `${Object.values(s.spec).join(' ') || t('默认')} · ${fen(s.price)} · ${t('库存')} ${s.stock}`,
                }))}
              />
            </Form.Item>
            <Form.Item name="price" label={t('秒杀价（元）')} rules={[{ required: true }]}>
              <InputNumber min={0.01} step={0.01} />
            </Form.Item>
            <Form.Item name="stock" label={t('秒杀库存')} rules={[{ required: true }]}>
              <InputNumber min={1} />
            </Form.Item>
            <Form.Item name="opens_at" label={t('开始时间')} rules={[{ required: true }]}>
              <Input type="datetime-local" />
            </Form.Item>
            <Form.Item name="closes_at" label={t('结束时间')} rules={[{ required: true }]}>
              <Input type="datetime-local" />
            </Form.Item>
            <Form.Item name="per_buyer_limit" label={t('每人限购')}>
              <InputNumber min={1} max={100} />
            </Form.Item>
            <Form.Item name="requires_reservation" valuePropName="checked">
              <Checkbox>{t('仅预约用户可抢')}</Checkbox>
            </Form.Item>
            <Form.Item name="remind_before_minutes" label={t('开抢前提醒（分钟）')}>
              <InputNumber min={0} max={10080} />
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
