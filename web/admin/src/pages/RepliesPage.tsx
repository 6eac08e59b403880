import {
  Alert,
  App as AntApp,
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
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, api, get, post } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Rule {
  id: string;
  kind: 'keyword' | 'default' | 'welcome' | 'click';
  match_type: string | null;
  keyword: string | null;
  priority: number;
  reply: { type: string; content?: string; articles?: Array<{ title: string }> };
  tag_fan: string | null;
  enabled: boolean;
}

const KIND: Record<Rule['kind'], string> = {
  keyword: '关键词',
  default: '默认回复',
  welcome: '关注欢迎语',
  click: '菜单点击',
};
const replyText = (r: Rule['reply']) => r.content ?? r.articles?.[0]?.title ?? r.type;

export function RepliesPage({ account }: { account: Account }) {
  const t = useT();
  const canEdit = useCanEdit();
  const { message } = AntApp.useApp();
  const [rules, setRules] = useState<Rule[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);
  const [form] = Form.useForm();
  const load = useCallback(
    () => get<Rule[]>(`/replies?account_id=${account.id}`).then(setRules),
    [account.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <>
      <Card title={`${t('自动回复')} · ${account.name}`} style={{ marginBottom: 16 }}>
        <Table<Rule>
          rowKey="id"
          dataSource={rules}
          pagination={{ pageSize: 20 }}
          columns={[
            { title: '类型', render: (_, r) => <Tag>{KIND[r.kind]}</Tag> },
            {
              title: '关键词',
              render: (_, r) => (r.keyword ? `${r.keyword}（${r.match_type ?? 'key'}）` : '—'),
            },
            { title: '回复', render: (_, r) => replyText(r.reply) },
            { title: '打标签', dataIndex: 'tag_fan' },
            { title: '优先级', dataIndex: 'priority' },
            {
              title: '启用',
              render: (_, r) => (
                <Switch
                  size="small"
                  checked={r.enabled}
                  onChange={async (enabled) => {
                    await api('PATCH', `/replies/${r.id}`, { enabled, reply: r.reply });
                    void load();
                  }}
                />
              ),
            },
            {
              title: '',
              render: (_, r) => (
                <Button
                  size="small"
                  danger
                  onClick={async () => {
                    await api('DELETE', `/replies/${r.id}`);
                    void load();
                  }}
                >
                  删除
                </Button>
              ),
            },
          ]}
        />
      </Card>
      {canEdit && (
        <Card title={t('新建规则')} style={{ marginBottom: 16 }}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            form={form}
            layout="inline"
            initialValues={{ kind: 'keyword', match_type: 'exact', priority: 0 }}
            onFinish={async (values) => {
              setError(null);
              try {
                await post('/replies', {
                  account_id: account.id,
                  kind: values.kind,
                  ...(values.kind === 'keyword' || values.kind === 'click'
                    ? { keyword: values.keyword }
                    : {}),
                  ...(values.kind === 'keyword' ? { match_type: values.match_type } : {}),
                  priority: values.priority,
                  tag_fan: values.tag_fan || null,
                  reply: { type: 'text', content: values.content },
                });
                message.success('已保存');
                form.resetFields(['keyword', 'content', 'tag_fan']);
                void load();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Form.Item name="kind">
              <Select
                style={{ width: 120 }}
                options={Object.entries(KIND).map(([value, label]) => ({ value, label }))}
              />
            </Form.Item>
            <Form.Item name="match_type">
              <Select
                style={{ width: 110 }}
                options={[
                  { value: 'exact', label: '完全匹配' },
                  { value: 'contains', label: '包含' },
                  { value: 'regex', label: '正则' },
                ]}
              />
            </Form.Item>
            <Form.Item name="keyword">
              <Input placeholder="关键词 / 菜单 key" aria-label="keyword" />
            </Form.Item>
            <Form.Item name="content" rules={[{ required: true }]}>
              <Input placeholder="回复内容" aria-label="reply" style={{ width: 260 }} />
            </Form.Item>
            <Form.Item name="tag_fan">
              <Input placeholder="给粉丝打标签（可选）" style={{ width: 160 }} />
            </Form.Item>
            <Form.Item name="priority">
              <InputNumber aria-label="priority" style={{ width: 80 }} />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('新建规则')}
            </Button>
          </Form>
        </Card>
      )}
      <Card title="粉丝发送这句话会收到什么？">
        <Space.Compact style={{ width: 480 }}>
          <Input.Search
            aria-label="test"
            enterButton={t('测试')}
            onSearch={async (text) => {
              if (!text) return;
              const result = await post<{ reply: Rule['reply'] | null; used_default: boolean }>(
                '/replies/preview',
                { account_id: account.id, text },
              );
              setPreview(
                result.reply
                  ? `${replyText(result.reply)}${result.used_default ? '（默认回复）' : ''}`
                  : '（没有回复）',
              );
            }}
          />
        </Space.Compact>
        {preview && <Alert style={{ marginTop: 12 }} type="info" title={preview} />}
      </Card>
    </>
  );
}
