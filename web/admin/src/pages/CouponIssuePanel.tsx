import { Alert, Button, Drawer, Form, Input, InputNumber, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, api, get, post, time } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Trigger {
  id: string;
  kind: 'keyword' | 'click' | 'scan' | 'paid';
  account_id: string | null;
  key: string | null;
  image_url: string | null;
  min_total: number;
  status: 'active' | 'stopped';
  issued: number;
}

interface Push {
  id: string;
  segment_id: string;
  members: number;
  issued: number;
  skipped: number;
  status: 'running' | 'done';
  created_at: number;
}

const TRIGGER_KINDS: Record<Trigger['kind'], string> = {
  keyword: '回复关键词',
  click: '菜单点击',
  scan: '扫渠道二维码',
  paid: '支付后',
};

/** How one campaign is handed out besides its link: chat triggers, after payment, to a segment. */
export function CouponIssuePanel({
  campaign,
  accounts,
  onClose,
}: {
  campaign: { id: string; name: string } | null;
  accounts: Account[];
  onClose: () => void;
}) {
  const t = useT();
  const canEdit = useCanEdit();
  const [triggers, setTriggers] = useState<Trigger[]>([]);
  const [pushes, setPushes] = useState<Push[]>([]);
  const [segments, setSegments] = useState<Array<{ id: string; name: string }>>([]);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm();
  const kind = Form.useWatch('kind', form) as Trigger['kind'] | undefined;
  const load = useCallback(async () => {
    if (!campaign) return;
    setTriggers(await get<Trigger[]>(`/coupon-campaigns/${campaign.id}/triggers`));
    setPushes(await get<Push[]>(`/coupon-campaigns/${campaign.id}/pushes`));
  }, [campaign]);
  useEffect(() => {
    void load();
    void get<Array<{ id: string; name: string }>>('/crm/segments').then(setSegments, () => setSegments([]));
  }, [load]);
  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const accountName = (id: string | null) =>
    id ? (accounts.find((a) => a.id === id)?.name ?? id) : t('全部公众号');

  return (
    <Drawer
      open={!!campaign}
      size="large"
      title={`${t('发放方式')} · ${campaign?.name ?? ''}`}
      onClose={onClose}
    >
      {error && <Alert type="error" title={error} style={{ marginBottom: 12 }} />}
      <Table<Trigger>
        rowKey="id"
        size="small"
        dataSource={triggers}
        pagination={false}
        columns={[
          { title: t('方式'), render: (_, r) => t(TRIGGER_KINDS[r.kind]) },
          { title: t('公众号'), render: (_, r) => accountName(r.account_id) },
          {
            title: t('触发'),
            render: (_, r) =>
              r.kind === 'scan' && r.image_url ? (
                <a href={r.image_url} target="_blank" rel="noreferrer">
                  {t('二维码')}
                </a>
              ) : r.kind === 'paid' ? (
                `≥ ¥${(r.min_total / 100).toFixed(2)}`
              ) : (
                r.key
              ),
          },
          { title: t('已发'), dataIndex: 'issued' },
          {
            title: t('状态'),
            render: (_, r) => (
              <Tag color={r.status === 'active' ? 'green' : 'default'}>
                {r.status === 'active' ? t('进行中') : t('已停止')}
              </Tag>
            ),
          },
          {
            title: '',
            render: (_, r) =>
              canEdit &&
              r.status === 'active' && (
                <Button size="small" onClick={() => act(() => api('DELETE', `/coupon-triggers/${r.id}`))}>
                  {t('停止')}
                </Button>
              ),
          },
        ]}
      />
      {canEdit && campaign && (
        <Form
          form={form}
          layout="vertical"
          style={{ marginTop: 16 }}
          initialValues={{ kind: 'keyword', account_id: accounts[0]?.id }}
          onFinish={(values: {
            kind: Trigger['kind'];
            account_id?: string;
            key?: string;
            reply_text?: string;
            min_yuan?: number;
          }) =>
            act(async () => {
              await post(`/coupon-campaigns/${campaign.id}/triggers`, {
                kind: values.kind,
                account_id: values.account_id ?? null,
                ...(values.kind === 'keyword' || values.kind === 'click'
                  ? { key: values.key, reply_text: values.reply_text || null }
                  : {}),
                ...(values.kind === 'paid' ? { min_total: Math.round((values.min_yuan ?? 0) * 100) } : {}),
              });
              form.resetFields(['key', 'reply_text']);
            })
          }
        >
          <Space wrap align="end">
            <Form.Item name="kind" label={t('方式')}>
              <Select
                style={{ width: 160 }}
                options={Object.entries(TRIGGER_KINDS).map(([value, label]) => ({ value, label: t(label) }))}
              />
            </Form.Item>
            <Form.Item name="account_id" label={t('公众号')}>
              <Select
                style={{ width: 200 }}
                allowClear={kind === 'paid'}
                options={accounts.map((a) => ({ value: a.id, label: a.name }))}
              />
            </Form.Item>
            {(kind === 'keyword' || kind === 'click') && (
              <Form.Item
                name="key"
                label={kind === 'keyword' ? t('关键词') : t('菜单 key')}
                rules={[{ required: true }]}
              >
                <Input maxLength={30} style={{ width: 160 }} />
              </Form.Item>
            )}
            {kind === 'paid' && (
              <Form.Item name="min_yuan" label={t('订单满（元）')}>
                <InputNumber min={0} />
              </Form.Item>
            )}
          </Space>
          {(kind === 'keyword' || kind === 'click') && (
            <Form.Item name="reply_text" label={t('立即回复（可选）')}>
              <Input maxLength={600} />
            </Form.Item>
          )}
          <Button type="primary" htmlType="submit">
            {t('添加发放方式')}
          </Button>
        </Form>
      )}
      <h4 style={{ marginTop: 24 }}>{t('向人群发券')}</h4>
      {canEdit && campaign && (
        <Form
          layout="inline"
          onFinish={(values: { segment_id: string }) =>
            act(() =>
              post(`/coupon-campaigns/${campaign.id}/pushes`, {
                segment_id: values.segment_id,
                account_id: accounts[0]?.id ?? null,
              }),
            )
          }
        >
          <Form.Item name="segment_id" rules={[{ required: true }]}>
            <Select
              style={{ width: 240 }}
              placeholder={t('选择人群')}
              options={segments.map((s) => ({ value: s.id, label: s.name }))}
            />
          </Form.Item>
          <Button htmlType="submit">{t('发券')}</Button>
        </Form>
      )}
      <Table<Push>
        rowKey="id"
        size="small"
        style={{ marginTop: 12 }}
        dataSource={pushes}
        pagination={false}
        columns={[
          { title: t('时间'), render: (_, p) => time(p.created_at) },
          {
            title: t('人群'),
            render: (_, p) => segments.find((s) => s.id === p.segment_id)?.name ?? p.segment_id,
          },
          { title: t('人数'), dataIndex: 'members' },
          { title: t('已发'), dataIndex: 'issued' },
          { title: t('未发'), dataIndex: 'skipped' },
          { title: t('状态'), render: (_, p) => (p.status === 'done' ? t('已完成') : t('发放中')) },
        ]}
      />
    </Drawer>
  );
}
