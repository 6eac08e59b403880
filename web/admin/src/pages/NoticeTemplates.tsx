import { App as AntApp, Button, Card, Input, InputNumber, Space, Switch, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, get, put, time } from '../api.ts';
import { useTr } from './crmText.ts';

interface KindView {
  kind: string;
  label: { zh: string; en: string };
  variables: string[];
  default_fields: Record<string, string>;
  has_chat_fallback: boolean;
  template_id: string | null;
  fields: Record<string, string> | null;
  enabled: boolean;
}
interface Notice {
  id: string;
  kind: string;
  openid: string;
  via: string;
  status: string;
  error: string | null;
  finish_status: string | null;
  created_at: number;
}
interface Draft {
  template_id: string;
  fields: string;
  enabled: boolean;
}

const STATUS_COLOR: Record<string, string> = {
  pending: 'blue',
  sending: 'cyan',
  sent: 'green',
  skipped: 'default',
  failed: 'red',
};
/** Fields as the owner types them: one "field = text" a line. */
const toLines = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([k, v]) => `${k} = ${v}`)
    .join('\n');
const fromLines = (text: string) =>
  Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.split(/=(.*)/s).map((x) => x.trim()))
      .filter(([k]) => k),
  ) as Record<string, string>;

/** Template notices: each kind mapped to the account's template, the daily allowance, the log. */
export function NoticeTemplates() {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [kinds, setKinds] = useState<KindView[]>([]);
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [limits, setLimits] = useState<{ daily_limit: number; per_second: number } | null>(null);
  const [log, setLog] = useState<Notice[]>([]);
  const fail = (error: unknown) => message.error(error instanceof ApiError ? error.message : String(error));
  const load = useCallback(async () => {
    const list = await get<KindView[]>('/notices/templates');
    setKinds(list);
    setDrafts(
      Object.fromEntries(
        list.map((k) => [
          k.kind,
          {
            template_id: k.template_id ?? '',
            fields: toLines(k.fields ?? k.default_fields),
            // A kind being mapped for the first time is meant to be on.
            enabled: k.template_id ? k.enabled : true,
          },
        ]),
      ),
    );
    setLimits(await get('/notices/settings'));
    setLog(await get<Notice[]>('/notices?limit=20'));
  }, []);
  useEffect(() => {
    load().catch(() => {});
  }, [load]);
  const edit = (kind: string, patch: Partial<Draft>) =>
    setDrafts((d) => ({ ...d, [kind]: { ...d[kind]!, ...patch } }));
  const save = async (kind: string) => {
    const d = drafts[kind]!;
    try {
      await put(`/notices/templates/${kind}`, {
        template_id: d.template_id,
        fields: fromLines(d.fields),
        enabled: d.enabled,
      });
      message.success(tr('已保存', 'Saved'));
      await load();
    } catch (error) {
      fail(error);
    }
  };
  const label = (k: KindView) => tr(k.label.zh, k.label.en);
  const statusText: Record<string, string> = {
    pending: tr('待发送', 'Pending'),
    sending: tr('发送中', 'Sending'),
    sent: tr('已发送', 'Sent'),
    skipped: tr('已跳过', 'Skipped'),
    failed: tr('失败', 'Failed'),
  };
  return (
    <Card title={tr('模板消息', 'Template notices')} data-testid="notice-templates">
      <Space direction="vertical" style={{ width: '100%' }}>
        <Table
          rowKey="kind"
          size="small"
          pagination={false}
          dataSource={kinds}
          columns={[
            {
              title: tr('通知', 'Notice'),
              render: (_: unknown, k: KindView) => (
                <Space direction="vertical" size={0}>
                  <b>{label(k)}</b>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {k.variables.map((v) => `{${v}}`).join(' ')}
                  </Typography.Text>
                  {k.has_chat_fallback && (
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {tr(
                        '未设置模板时，48 小时内以客服消息发送',
                        'Without a template: a chat text within 48 hours',
                      )}
                    </Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: tr('模板 ID', 'Template id'),
              render: (_: unknown, k: KindView) => (
                <Input
                  aria-label={`template-${k.kind}`}
                  value={drafts[k.kind]?.template_id}
                  onChange={(e) => edit(k.kind, { template_id: e.target.value })}
                />
              ),
            },
            {
              title: tr('字段（每行：字段 = 内容）', 'Fields (one "field = text" a line)'),
              render: (_: unknown, k: KindView) => (
                <Input.TextArea
                  autoSize
                  value={drafts[k.kind]?.fields}
                  onChange={(e) => edit(k.kind, { fields: e.target.value })}
                />
              ),
            },
            {
              title: tr('启用', 'On'),
              render: (_: unknown, k: KindView) => (
                <Switch checked={drafts[k.kind]?.enabled} onChange={(on) => edit(k.kind, { enabled: on })} />
              ),
            },
            {
              title: '',
              render: (_: unknown, k: KindView) => (
                <Button
                  size="small"
                  disabled={!drafts[k.kind]?.template_id.trim()}
                  onClick={() => save(k.kind)}
                >
                  {tr('保存', 'Save')}
                </Button>
              ),
            },
          ]}
        />
        {limits && (
          <Space wrap>
            {tr('每日上限', 'Daily allowance')}
            <InputNumber
              min={1}
              value={limits.daily_limit}
              onChange={(v) => setLimits({ ...limits, daily_limit: Number(v ?? 1) })}
            />
            {tr('每秒最多', 'At most per second')}
            <InputNumber
              min={1}
              value={limits.per_second}
              onChange={(v) => setLimits({ ...limits, per_second: Number(v ?? 1) })}
            />
            <Button
              size="small"
              onClick={() =>
                put('/notices/settings', limits).then(() => message.success(tr('已保存', 'Saved')), fail)
              }
            >
              {tr('保存限额', 'Save limits')}
            </Button>
          </Space>
        )}
        <Table
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={log}
          columns={[
            { title: tr('时间', 'When'), dataIndex: 'created_at', render: (v: number) => time(v) },
            {
              title: tr('通知', 'Notice'),
              dataIndex: 'kind',
              render: (v: string) => {
                const k = kinds.find((x) => x.kind === v);
                return k ? label(k) : v;
              },
            },
            { title: 'openid', dataIndex: 'openid' },
            {
              title: tr('方式', 'Via'),
              dataIndex: 'via',
              render: (v: string) => (v === 'template' ? tr('模板消息', 'Template') : tr('客服消息', 'Chat')),
            },
            {
              title: tr('状态', 'Status'),
              render: (_: unknown, n: Notice) => (
                <Space size={4}>
                  <Tag color={STATUS_COLOR[n.status]}>{statusText[n.status] ?? n.status}</Tag>
                  {n.error && <Typography.Text type="secondary">{n.error}</Typography.Text>}
                  {n.finish_status && <Tag>{n.finish_status}</Tag>}
                </Space>
              ),
            },
          ]}
        />
      </Space>
    </Card>
  );
}
