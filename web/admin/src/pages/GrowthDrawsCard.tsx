import {
  Alert,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, get, post, time } from '../api.ts';
import { useCanEdit } from '../i18n.ts';
import { useTr } from './crmText.ts';
import { epoch, shopLink, useCoupons } from './growthShared.ts';

interface Prize {
  id: string;
  name: string;
  kind: 'coupon' | 'goods' | 'points' | 'nothing';
  points: number;
  odds: number;
  stock: number;
  won: number;
}
interface Draw {
  id: string;
  name: string;
  entry_rule: 'daily' | 'order' | 'once' | 'points';
  entry_points: number;
  status: 'active' | 'ended';
  seed_hash: string;
  seed: string | null;
  ends_at: number;
  plays: number;
  prizes: Prize[];
}
type Tr = ReturnType<typeof useTr>;

const RULES = (tr: Tr) => ({
  daily: tr('每天签到抽一次', 'Once a day (check-in)'),
  order: tr('每笔支付订单抽一次', 'Once per paid order'),
  once: tr('每人一次', 'Once per fan'),
  points: tr('消耗积分抽奖', 'Spend points per play'),
});
const KINDS = (tr: Tr) => ({
  coupon: tr('优惠券', 'Coupon'),
  goods: tr('实物', 'Goods'),
  points: tr('积分', 'Points'),
  nothing: tr('谢谢参与', 'Nothing'),
});

/** Lucky draws: prizes with odds and stock; ending a draw reveals the seed committed at creation. */
export function LuckyDrawsCard({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  const canEdit = useCanEdit();
  const coupons = useCoupons();
  const [rows, setRows] = useState<Draw[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm();
  const load = useCallback(async () => setRows(await get<Draw[]>('/growth/draws')), []);
  useEffect(() => {
    void load();
  }, [load]);
  const account = accounts[0];
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const create = (v: Record<string, unknown>) =>
    act(() =>
      post('/growth/draws', {
        account_id: account?.id,
        name: v.name,
        entry_rule: v.entry_rule,
        entry_points: v.entry_rule === 'points' ? Number(v.entry_points ?? 0) : undefined,
        ends_at: epoch(v.ends_at),
        prizes: (v.prizes as Array<Record<string, unknown>>).map((p) => ({
          name: p.name,
          kind: p.kind,
          coupon_campaign_id: p.kind === 'coupon' ? p.coupon_campaign_id : null,
          sku_id: p.kind === 'goods' ? p.sku_id : null,
          points: p.kind === 'points' ? Number(p.points ?? 0) : undefined,
          odds: Math.round(Number(p.percent ?? 0) * 100),
          stock: p.kind === 'nothing' ? 0 : Number(p.stock ?? 0),
        })),
      }).then(() => form.resetFields()),
    );
  return (
    <Card title={tr('幸运抽奖', 'Lucky draws')} style={{ marginBottom: 16 }}>
      {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
      <Table<Draw>
        rowKey="id"
        dataSource={rows}
        expandable={{
          expandedRowRender: (d) => (
            <Space direction="vertical" style={{ width: '100%' }}>
              <Typography.Text type="secondary">
                {tr('种子哈希（创建时公布）', 'Seed hash (published at creation)')}:{' '}
                <Typography.Text code copyable>
                  {d.seed_hash}
                </Typography.Text>
                {d.seed && (
                  <>
                    {' '}
                    {tr('种子', 'Seed')}:{' '}
                    <Typography.Text code copyable>
                      {d.seed}
                    </Typography.Text>
                  </>
                )}
              </Typography.Text>
              <Table<Prize>
                rowKey="id"
                size="small"
                pagination={false}
                dataSource={d.prizes}
                columns={[
                  { title: tr('奖品', 'Prize'), dataIndex: 'name' },
                  {
                    title: tr('类型', 'Kind'),
                    render: (_, p) =>
                      p.kind === 'points' ? `${KINDS(tr).points} ${p.points}` : KINDS(tr)[p.kind],
                  },
                  { title: tr('概率', 'Odds'), render: (_, p) => `${(p.odds / 100).toFixed(2)}%` },
                  {
                    title: tr('已中/库存', 'Won / stock'),
                    render: (_, p) => (p.kind === 'nothing' ? '—' : `${p.won} / ${p.stock}`),
                  },
                ]}
              />
            </Space>
          ),
        }}
        columns={[
          { title: tr('名称', 'Name'), dataIndex: 'name' },
          {
            title: tr('参与方式', 'Entry'),
            render: (_, d) =>
              d.entry_rule === 'points'
                ? `${RULES(tr).points} · ${d.entry_points} ${tr('积分/次', 'points a play')}`
                : RULES(tr)[d.entry_rule],
          },
          { title: tr('抽奖次数', 'Plays'), dataIndex: 'plays' },
          { title: tr('结束', 'Ends'), render: (_, d) => time(d.ends_at) },
          {
            title: tr('活动页', 'Page'),
            render: (_, d) => (
              <Typography.Text copyable style={{ wordBreak: 'break-all' }}>
                {shopLink(account?.appid, `/draws/${d.id}`)}
              </Typography.Text>
            ),
          },
          {
            title: tr('状态', 'Status'),
            render: (_, d) =>
              d.status === 'active' ? (
                <Space>
                  <Tag color="green">{tr('进行中', 'Active')}</Tag>
                  {canEdit && (
                    <Button size="small" onClick={() => act(() => post(`/growth/draws/${d.id}/end`))}>
                      {tr('结束并公布种子', 'End and reveal seed')}
                    </Button>
                  )}
                </Space>
              ) : (
                <Tag>{tr('已结束', 'Ended')}</Tag>
              ),
          },
        ]}
      />
      {canEdit && account && (
        <Form
          form={form}
          style={{ marginTop: 16 }}
          initialValues={{ entry_rule: 'daily', prizes: [{ kind: 'coupon', percent: 10, stock: 100 }] }}
          onFinish={create}
        >
          <Space wrap>
            <Form.Item name="name" rules={[{ required: true }]}>
              <Input placeholder={tr('名称', 'Name')} maxLength={40} />
            </Form.Item>
            <Form.Item name="entry_rule">
              <Select
                style={{ width: 190 }}
                options={Object.entries(RULES(tr)).map(([value, label]) => ({ value, label }))}
              />
            </Form.Item>
            <Form.Item noStyle shouldUpdate={(a, b) => a.entry_rule !== b.entry_rule}>
              {({ getFieldValue }) =>
                getFieldValue('entry_rule') === 'points' && (
                  <Form.Item
                    name="entry_points"
                    label={tr('每次消耗积分', 'Points a play')}
                    rules={[{ required: true }]}
                  >
                    <InputNumber min={1} max={1_000_000} />
                  </Form.Item>
                )
              }
            </Form.Item>
            <Form.Item name="ends_at" rules={[{ required: true }]}>
              <DatePicker showTime placeholder={tr('结束时间', 'Ends at')} />
            </Form.Item>
          </Space>
          <Form.List name="prizes">
            {(fields, { add, remove }) => (
              <>
                {fields.map((field) => (
                  <Space key={field.key} wrap className="prize-row">
                    <Form.Item name={[field.name, 'name']} rules={[{ required: true }]}>
                      <Input placeholder={tr('奖品名称', 'Prize name')} maxLength={40} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'kind']}>
                      <Select
                        style={{ width: 120 }}
                        options={Object.entries(KINDS(tr)).map(([value, label]) => ({ value, label }))}
                      />
                    </Form.Item>
                    <Form.Item name={[field.name, 'coupon_campaign_id']}>
                      <Select
                        style={{ width: 160 }}
                        allowClear
                        placeholder={tr('券（优惠券奖品）', 'Coupon (coupon prize)')}
                        options={coupons.map((c) => ({ value: c.id, label: c.name }))}
                      />
                    </Form.Item>
                    <Form.Item name={[field.name, 'sku_id']}>
                      <Input placeholder={tr('SKU ID（实物奖品）', 'SKU ID (goods prize)')} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'points']}>
                      <InputNumber
                        min={1}
                        max={1_000_000}
                        style={{ width: 150 }}
                        placeholder={tr('积分（积分奖品）', 'Points (points prize)')}
                      />
                    </Form.Item>
                    <Form.Item name={[field.name, 'percent']} label={tr('概率 %', 'Odds %')}>
                      <InputNumber min={0} max={100} step={0.01} />
                    </Form.Item>
                    <Form.Item name={[field.name, 'stock']} label={tr('库存', 'Stock')}>
                      <InputNumber min={0} />
                    </Form.Item>
                    <Button onClick={() => remove(field.name)}>{tr('删除', 'Remove')}</Button>
                  </Space>
                ))}
                <Space>
                  <Button onClick={() => add({ kind: 'coupon', percent: 5, stock: 10 })}>
                    {tr('添加奖品', 'Add prize')}
                  </Button>
                  <Button type="primary" htmlType="submit">
                    {tr('创建', 'Create')}
                  </Button>
                </Space>
              </>
            )}
          </Form.List>
        </Form>
      )}
    </Card>
  );
}
