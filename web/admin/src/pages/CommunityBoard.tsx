import { Alert, Button, Input, InputNumber, Popconfirm, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, get, post, put, time } from '../api.ts';
import { useCanEdit } from '../i18n.ts';
import { useTr } from './crmText.ts';

interface Post {
  id: string;
  openid: string;
  parent_id: string | null;
  text: string;
  images: string[];
  status: 'visible' | 'hidden';
  pinned: boolean;
  reply_count: number;
  report_count: number;
  created_at: number;
}
interface Queued {
  post: Post;
  reports: Array<{ id: string; reason: string; openid: string; created_at: number }>;
}
interface Ban {
  id: string;
  openid: string;
  reason: string;
  until: number | null;
  created_by: string;
}
interface Settings {
  sensitive_words: string[];
  posts_per_hour: number;
  renewal_template?: string | null;
}

/** Board moderation: reported posts first, pin / hide / ban, bans, sensitive words and the post rate. */
export function CommunityBoard() {
  const tr = useTr();
  const canEdit = useCanEdit();
  const [queue, setQueue] = useState<Queued[]>([]);
  const [posts, setPosts] = useState<Post[]>([]);
  const [bans, setBans] = useState<Ban[]>([]);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [words, setWords] = useState('');
  const [message, setMessage] = useState<{ type: 'success' | 'error'; text: string } | null>(null);
  const load = useCallback(async () => {
    setQueue(await get<Queued[]>('/community/moderation'));
    setPosts((await get<{ items: Post[] }>('/community/posts?limit=100')).items);
    setBans(await get<Ban[]>('/community/bans'));
    const s = await get<Settings>('/community/settings');
    setSettings(s);
    setWords(s.sensitive_words.join('\n'));
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setMessage(null);
      await load();
    } catch (error) {
      setMessage({ type: 'error', text: (error as Error).message });
    }
  };
  const moderate = (id: string, patch: { pinned?: boolean; hidden?: boolean }) =>
    act(() => api('PATCH', `/community/posts/${id}`, patch));
  const ban = (id: string) =>
    act(() =>
      post(`/community/posts/${id}/ban`, { reason: tr('违反社区规则', 'Broke the board rules'), days: 30 }),
    );
  const actions = (p: Post) => (
    <Space>
      {p.parent_id === null && (
        <Button type="link" size="small" onClick={() => moderate(p.id, { pinned: !p.pinned })}>
          {p.pinned ? tr('取消置顶', 'Unpin') : tr('置顶', 'Pin')}
        </Button>
      )}
      <Button type="link" size="small" onClick={() => moderate(p.id, { hidden: p.status === 'visible' })}>
        {p.status === 'visible' ? tr('隐藏', 'Hide') : tr('恢复', 'Restore')}
      </Button>
      <Popconfirm title={tr('禁言作者 30 天？', 'Ban the author for 30 days?')} onConfirm={() => ban(p.id)}>
        <Button type="link" size="small">
          {tr('禁言', 'Ban')}
        </Button>
      </Popconfirm>
    </Space>
  );
  const postColumns = [
    {
      title: tr('内容', 'Text'),
      dataIndex: 'text',
      render: (v: string, p: Post) => (
        <span>
          {p.pinned && <Tag color="gold">{tr('置顶', 'Pinned')}</Tag>}
          {p.parent_id && <Tag>{tr('回复', 'Reply')}</Tag>}
          {v}
        </span>
      ),
    },
    { title: tr('作者', 'Author'), dataIndex: 'openid' },
    {
      title: tr('状态', 'Status'),
      dataIndex: 'status',
      render: (v: string) =>
        v === 'visible' ? tr('显示', 'Visible') : <Tag color="red">{tr('已隐藏', 'Hidden')}</Tag>,
    },
    { title: tr('举报', 'Reports'), dataIndex: 'report_count' },
    { title: tr('时间', 'Time'), dataIndex: 'created_at', render: time },
    { title: '', render: (_: unknown, p: Post) => actions(p) },
  ];
  return (
    <>
      {message && <Alert type={message.type} showIcon message={message.text} style={{ marginBottom: 12 }} />}
      <h4>{tr('待审核（被举报）', 'Moderation queue (reported)')}</h4>
      <Table
        rowKey={(q) => q.post.id}
        size="small"
        dataSource={queue}
        pagination={false}
        locale={{ emptyText: tr('没有待处理的举报', 'No open reports') }}
        data-testid="moderation-queue"
        columns={[
          { title: tr('内容', 'Text'), render: (_, q) => q.post.text },
          { title: tr('举报原因', 'Reasons'), render: (_, q) => q.reports.map((r) => r.reason).join('、') },
          { title: tr('举报数', 'Reports'), render: (_, q) => q.reports.length },
          {
            title: '',
            render: (_, q) => (
              <Space>
                <Button type="link" size="small" onClick={() => moderate(q.post.id, { hidden: false })}>
                  {tr('保留', 'Keep')}
                </Button>
                {actions(q.post)}
              </Space>
            ),
          },
        ]}
      />
      <h4 style={{ marginTop: 24 }}>{tr('全部帖子', 'All posts')}</h4>
      <Table
        rowKey="id"
        size="small"
        dataSource={posts}
        pagination={{ pageSize: 20 }}
        columns={postColumns}
      />
      <h4 style={{ marginTop: 24 }}>{tr('禁言名单', 'Bans')}</h4>
      <Table
        rowKey="id"
        size="small"
        dataSource={bans}
        pagination={false}
        columns={[
          { title: 'OpenID', dataIndex: 'openid' },
          { title: tr('原因', 'Reason'), dataIndex: 'reason' },
          {
            title: tr('截止', 'Until'),
            dataIndex: 'until',
            render: (v) => (v ? time(v) : tr('永久', 'For good')),
          },
          {
            title: '',
            render: (_, b) => (
              <Button
                type="link"
                size="small"
                onClick={() => act(() => api('DELETE', `/community/bans/${b.id}`))}
              >
                {tr('解除', 'Lift')}
              </Button>
            ),
          },
        ]}
      />
      {settings && (
        <div style={{ marginTop: 24, maxWidth: 560 }}>
          <h4>{tr('敏感词（每行一个）与发帖频率', 'Sensitive words (one a line) and post rate')}</h4>
          <Input.TextArea
            rows={5}
            value={words}
            disabled={!canEdit}
            onChange={(e) => setWords(e.target.value)}
          />
          <Space style={{ marginTop: 8 }} wrap>
            {tr('每人每小时最多发帖', 'Posts per member per hour')}
            <InputNumber
              min={1}
              max={1000}
              disabled={!canEdit}
              value={settings.posts_per_hour}
              onChange={(v) => setSettings({ ...settings, posts_per_hour: v ?? 1 })}
            />
            {tr('续费提醒模板 ID', 'Renewal reminder template ID')}
            <Input
              disabled={!canEdit}
              value={settings.renewal_template ?? ''}
              onChange={(e) => setSettings({ ...settings, renewal_template: e.target.value || null })}
            />
            {canEdit && (
              <Button
                type="primary"
                onClick={() =>
                  act(() =>
                    put('/community/settings', {
                      ...settings,
                      sensitive_words: words
                        .split('\n')
                        .map((w) => w.trim())
                        .filter(Boolean),
                    }),
                  )
                }
              >
                {tr('保存', 'Save')}
              </Button>
            )}
          </Space>
        </div>
      )}
    </>
  );
}
