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
import { type Account, fen, get, post, time } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';
import { LuckyDrawsCard } from './GrowthDrawsCard.tsx';
import { ShareCampaignsCard } from './GrowthShareCard.tsx';

interface Trial {
  id: string;
  title: string;
  keyword: string;
  units: number;
  status: 'open' | 'closed' | 'drawn';
  seed_hash: string;
  seed: string | null;
  draw_mode: string | null;
  entry_count: number;
  closes_at: number;
}
interface Entry {
  id: string;
  openid: string;
  reason: string;
  status: 'entered' | 'won' | 'lost';
  prize: string;
  order_id: string | null;
  created_at: number;
  member: { name: string | null; tags: string[]; order_count: number; spend: number } | null;
}
interface RedPackets {
  id: string;
  name: string;
  budget: number;
  spent: number;
  claims: number;
  amount_min: number;
  amount_max: number;
  trigger: 'keyword' | 'paid' | 'link' | 'follow';
  keyword: string | null;
  scene: string | null;
  min_order_total: number;
  status: string;
}

const STATUS: Record<Entry['status'], [string, string]> = {
  entered: ['已报名', 'default'],
  won: ['中奖', 'green'],
  lost: ['未中奖', 'default'],
};
const TRIGGERS: Record<RedPackets['trigger'], string> = {
  keyword: '回复关键词',
  paid: '支付后',
  link: '链接领取',
  follow: '扫码关注',
};

/** The entries of one trial beside each member, with the draw (seed hash before, seed after). */
function TrialEntries({ trial, onDrawn }: { trial: Trial; onDrawn: () => void }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [entries, setEntries] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  // Thousands of entries a round: a page of 100 at a time, more on request (picking by hand needs them).
  const fetchPage = useCallback(
    (cursor: string | null) =>
      get<{ items: Entry[]; next_cursor: string | null }>(
        `/growth/trials/${trial.id}/entries?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      ),
    [trial.id],
  );
  const load = useCallback(async () => {
    const page = await fetchPage(null);
    setEntries(page.items);
    setNext(page.next_cursor);
  }, [fetchPage]);
  const loadMore = async () => {
    const page = await fetchPage(next);
    setEntries((shown) => [...shown, ...page.items]);
    setNext(page.next_cursor);
  };
  useEffect(() => {
    void load();
  }, [load]);
  const draw = async (body: unknown) => {
    await post(`/growth/trials/${trial.id}/draw`, body);
    onDrawn();
    await load();
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Typography.Text type="secondary">
        {t('开奖种子哈希（提前公布）')}:{' '}
        <Typography.Text code copyable>
          {trial.seed_hash}
        </Typography.Text>
        {trial.seed && (
          <>
            {' '}
            {t('种子')}:{' '}
            <Typography.Text code copyable>
              {trial.seed}
            </Typography.Text>
          </>
        )}
      </Typography.Text>
      <Table<Entry>
        rowKey="id"
        size="small"
        dataSource={entries}
        pagination={{ pageSize: 20 }}
        rowSelection={
          canEdit && trial.status !== 'drawn'
            ? { selectedRowKeys: picked, onChange: (keys) => setPicked(keys.map(String)) }
            : undefined
        }
        columns={[
          { title: t('粉丝'), render: (_, e) => e.member?.name ?? e.openid },
          { title: t('理由'), dataIndex: 'reason' },
          { title: t('标签'), render: (_, e) => e.member?.tags.map((x) => <Tag key={x}>{x}</Tag>) },
          { title: t('订单数'), render: (_, e) => e.member?.order_count ?? 0 },
          { title: t('消费'), render: (_, e) => fen(e.member?.spend ?? 0) },
          { title: t('时间'), render: (_, e) => time(e.created_at) },
          {
            title: t('状态'),
            render: (_, e) => <Tag color={STATUS[e.status][1]}>{t(STATUS[e.status][0])}</Tag>,
          },
          {
            title: t('奖品订单'),
            render: (_, e) => e.order_id ?? (e.status === 'won' && e.prize !== 'none' ? t(e.prize) : ''),
          },
        ]}
      />
      <Space>
        <Typography.Text type="secondary">
          {t('已显示')} {entries.length} / {trial.entry_count}
        </Typography.Text>
        {next && <Button onClick={() => void loadMore()}>{t('加载更多报名')}</Button>}
      </Space>
      {canEdit && trial.status !== 'drawn' && (
        <Space>
          <Button type="primary" onClick={() => draw({ mode: 'random' })}>
            {t('按公开种子随机开奖')}
          </Button>
          <Button disabled={picked.length === 0} onClick={() => draw({ mode: 'manual', entry_ids: picked })}>
            {t('选中者中奖')} ({picked.length}/{trial.units})
          </Button>
        </Space>
      )}
    </Space>
  );
}

/** Trials (entries, the seeded draw) and red-packet campaigns (budget, spent, claims). */
export function GrowthPage({ accounts }: { accounts: Account[] }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [trials, setTrials] = useState<Trial[]>([]);
  const [packets, setPackets] = useState<RedPackets[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    setTrials(await get<Trial[]>('/growth/trials'));
    setPackets(await get<RedPackets[]>('/growth/red-packets'));
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const account = accounts[0]?.id;
  const submit =
    (path: string, body: (v: Record<string, unknown>) => unknown) => async (v: Record<string, unknown>) => {
      setError(null);
      try {
        await post(path, body(v));
        await load();
      } catch (e) {
        setError((e as Error).message);
      }
    };
  return (
    <>
      {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
      <Card title={t('试用活动')} style={{ marginBottom: 16 }}>
        <Table<Trial>
          rowKey="id"
          dataSource={trials}
          expandable={{ expandedRowRender: (trial) => <TrialEntries trial={trial} onDrawn={load} /> }}
          columns={[
            { title: t('名称'), dataIndex: 'title' },
            { title: t('关键词'), dataIndex: 'keyword' },
            { title: t('名额'), dataIndex: 'units' },
            { title: t('报名'), dataIndex: 'entry_count' },
            { title: t('截止'), render: (_, r) => time(r.closes_at) },
            {
              title: t('状态'),
              render: (_, r) => (
                <Tag color={r.status === 'drawn' ? 'blue' : 'green'}>
                  {t(r.status === 'drawn' ? '已开奖' : '报名中')}
                </Tag>
              ),
            },
          ]}
        />
        {canEdit && account && (
          <Form
            layout="inline"
            style={{ marginTop: 16 }}
            onFinish={submit('/growth/trials', (v) => ({
              account_id: account,
              title: v.title,
              sku_id: v.sku_id,
              units: v.units,
              keyword: v.keyword,
              closes_at: (v.closes_at as { valueOf(): number }).valueOf(),
              consolation_campaign_id: v.consolation || null,
            }))}
          >
            <Form.Item name="title" rules={[{ required: true }]}>
              <Input placeholder={t('名称')} maxLength={60} />
            </Form.Item>
            <Form.Item name="sku_id" rules={[{ required: true }]}>
              <Input placeholder="SKU ID" />
            </Form.Item>
            <Form.Item name="units" initialValue={10} rules={[{ required: true }]}>
              <InputNumber min={1} addonAfter={t('份')} />
            </Form.Item>
            <Form.Item name="keyword" initialValue="试用" rules={[{ required: true }]}>
              <Input placeholder={t('关键词')} maxLength={20} />
            </Form.Item>
            <Form.Item name="closes_at" rules={[{ required: true }]}>
              <DatePicker showTime placeholder={t('截止')} />
            </Form.Item>
            <Form.Item name="consolation">
              <Input placeholder={t('安慰券活动 ID（可选）')} />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('创建')}
            </Button>
          </Form>
        )}
      </Card>
      <ShareCampaignsCard accounts={accounts} />
      <LuckyDrawsCard accounts={accounts} />
      <Card title={t('红包活动')}>
        <Table<RedPackets>
          rowKey="id"
          dataSource={packets}
          columns={[
            { title: t('名称'), dataIndex: 'name' },
            {
              title: t('发放方式'),
              render: (_, r) =>
                `${t(TRIGGERS[r.trigger])}${r.keyword ? `「${r.keyword}」` : ''}${r.scene ? ` (${r.scene})` : ''}${
                  r.trigger === 'paid' && r.min_order_total > 0 ? ` ≥ ${fen(r.min_order_total)}` : ''
                }`,
            },
            {
              title: t('金额'),
              render: (_, r) =>
                r.amount_min === r.amount_max
                  ? fen(r.amount_min)
                  : `${fen(r.amount_min)} – ${fen(r.amount_max)}`,
            },
            { title: t('已发/预算'), render: (_, r) => `${fen(r.spent)} / ${fen(r.budget)}` },
            { title: t('领取人数'), dataIndex: 'claims' },
            {
              title: t('链接'),
              render: (_, r) =>
                r.trigger === 'link' && accounts[0] ? (
                  <Typography.Text copyable style={{ wordBreak: 'break-all' }}>
                    {`${location.origin}/shop/${accounts[0].appid}/red-packets/${r.id}`}
                  </Typography.Text>
                ) : (
                  '—'
                ),
            },
            {
              title: t('状态'),
              render: (_, r) => <Tag>{t(r.status === 'active' ? '进行中' : '已抢完')}</Tag>,
            },
          ]}
        />
        {canEdit && account && (
          <Form
            layout="inline"
            style={{ marginTop: 16 }}
            initialValues={{ trigger: 'keyword', min: 1, max: 5, budget: 1000 }}
            onFinish={submit('/growth/red-packets', (v) => ({
              account_id: account,
              name: v.name,
              budget: Math.round(Number(v.budget) * 100),
              amount_min: Math.round(Number(v.min) * 100),
              amount_max: Math.round(Number(v.max) * 100),
              trigger: v.trigger,
              keyword: v.keyword ?? null,
              scene: v.trigger === 'follow' ? v.scene || null : null,
              min_order_total: v.trigger === 'paid' ? Math.round(Number(v.min_order ?? 0) * 100) : undefined,
            }))}
          >
            <Form.Item name="name" rules={[{ required: true }]}>
              <Input placeholder={t('名称')} maxLength={32} />
            </Form.Item>
            <Form.Item name="trigger">
              <Select
                style={{ width: 130 }}
                options={Object.entries(TRIGGERS).map(([value, label]) => ({ value, label: t(label) }))}
              />
            </Form.Item>
            <Form.Item name="keyword">
              <Input placeholder={t('关键词')} maxLength={20} />
            </Form.Item>
            <Form.Item name="scene">
              <Input placeholder={t('渠道二维码场景值（扫码关注）')} maxLength={64} />
            </Form.Item>
            <Form.Item noStyle shouldUpdate={(a, b) => a.trigger !== b.trigger}>
              {({ getFieldValue }) =>
                getFieldValue('trigger') === 'paid' && (
                  <Form.Item name="min_order" label={t('订单满（元）')}>
                    <InputNumber min={0} />
                  </Form.Item>
                )
              }
            </Form.Item>
            <Form.Item name="budget" label={t('预算（元）')}>
              <InputNumber min={1} />
            </Form.Item>
            <Form.Item name="min" label={t('最小（元）')}>
              <InputNumber min={0.1} max={200} step={0.1} />
            </Form.Item>
            <Form.Item name="max" label={t('最大（元）')}>
              <InputNumber min={0.1} max={200} step={0.1} />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('创建')}
            </Button>
          </Form>
        )}
      </Card>
    </>
  );
}
