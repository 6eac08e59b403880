import {
  App as AntApp,
  Button,
  Card,
  Checkbox,
  Col,
  Input,
  Progress,
  Radio,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, ApiError, get, post, time } from '../api.ts';
import { useTr } from './crmText.ts';
import { NoticeTemplates } from './NoticeTemplates.tsx';
import { SendReport } from './SendReport.tsx';

interface Article {
  /** Only a React key: never sent. */
  uid: string;
  title: string;
  digest: string;
  body: string;
  link: string;
}
interface Broadcast {
  id: string;
  account_id: string;
  title: string;
  kind: string;
  audience_kind: string;
  status: string;
  scheduled_at: number | null;
  recipients: number;
  batches: number;
  batches_done: number;
  sent: number;
  clicks: number;
  error: string | null;
}
interface Quota {
  period: 'day' | 'month';
  allowance: number;
  used: number;
  left: number;
}

const STATUS_COLOR: Record<string, string> = {
  draft: 'default',
  scheduled: 'blue',
  sending: 'gold',
  sent: 'green',
  cancelled: 'default',
  failed: 'red',
};
const blank = (): Article => ({
  uid: Math.random().toString(36).slice(2),
  title: '',
  digest: '',
  body: '',
  link: '',
});

/** Broadcast composer (phone preview, audience with its count, quota meter) and the sends with their reports. */
export function BroadcastsPage({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [accountId, setAccountId] = useState(
    accounts.find((a) => a.type === 'service')?.id ?? accounts[0]?.id,
  );
  const [reportId, setReportId] = useState<string | null>(null);
  const [kind, setKind] = useState<'news' | 'text'>('news');
  const [articles, setArticles] = useState<Article[]>([blank()]);
  const [text, setText] = useState('');
  const [audienceKind, setAudienceKind] = useState<'tag' | 'segment' | 'all'>('tag');
  const [ref, setRef] = useState<string | undefined>();
  const [count, setCount] = useState<number | null>(null);
  const [confirmAll, setConfirmAll] = useState(false);
  const [tags, setTags] = useState<Array<{ id: string; name: string }>>([]);
  const [segments, setSegments] = useState<Array<{ id: string; name: string }>>([]);
  const [quota, setQuota] = useState<Quota | null>(null);
  const [list, setList] = useState<Broadcast[]>([]);
  const [draft, setDraft] = useState<Broadcast | null>(null);
  const [testFans, setTestFans] = useState('');
  const [at, setAt] = useState('');

  const fail = (error: unknown) => message.error(error instanceof ApiError ? error.message : String(error));
  const load = useCallback(async () => {
    setList(await get<Broadcast[]>('/broadcasts'));
    if (accountId) setQuota(await get<Quota>(`/broadcasts/quota?account_id=${accountId}`));
  }, [accountId]);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 3000);
    return () => clearInterval(timer);
  }, [load]);
  useEffect(() => {
    void get<Array<{ id: string; name: string }>>('/crm/tags').then(setTags);
    void get<Array<{ id: string; name: string }>>('/crm/segments').then(setSegments);
  }, []);
  useEffect(() => {
    setCount(null);
    setConfirmAll(false);
    if (audienceKind !== 'all' && !ref) return;
    post<{ count: number }>('/broadcasts/audience-count', { kind: audienceKind, ref: ref ?? null })
      .then((r) => setCount(r.count))
      // A tag or segment that just vanished shows no count; the save would say why.
      .catch(() => setCount(null));
  }, [audienceKind, ref]);

  const setArticle = (i: number, patch: Partial<Article>) =>
    setArticles(articles.map((a, k) => (k === i ? { ...a, ...patch } : a)));

  async function save() {
    try {
      const created = await post<Broadcast>('/broadcasts', {
        account_id: accountId,
        kind,
        ...(kind === 'news'
          ? { articles: articles.map(({ uid: _uid, ...a }) => ({ ...a, digest: a.digest || undefined })) }
          : { text }),
        audience: { kind: audienceKind, ref: audienceKind === 'all' ? null : ref },
      });
      setDraft(created);
      message.success(tr('草稿已保存', 'Draft saved'));
      await load();
    } catch (error) {
      fail(error);
    }
  }
  async function preview() {
    if (!draft) return;
    try {
      const openids = testFans.split(/[\s,，]+/).filter(Boolean);
      const results = await post<Array<{ openid: string; ok: boolean; error: string | null }>>(
        `/broadcasts/${draft.id}/preview`,
        { openids },
      );
      for (const r of results)
        r.ok
          ? message.success(`${tr('已预览给', 'Previewed to')} ${r.openid}`)
          : message.error(`${r.openid}: ${r.error}`);
    } catch (error) {
      fail(error);
    }
  }
  async function schedule(body: Record<string, unknown>) {
    if (!draft) return;
    try {
      const done = await post<Broadcast>(`/broadcasts/${draft.id}/schedule`, {
        ...body,
        ...(audienceKind === 'all' && confirmAll && count !== null ? { confirm_count: count } : {}),
      });
      message.success(`${tr('已安排', 'Scheduled for')} ${time(done.scheduled_at)}`);
      setDraft(null);
      await load();
    } catch (error) {
      fail(error);
    }
  }
  async function cancel(id: string) {
    try {
      await post(`/broadcasts/${id}/cancel`);
      await load();
    } catch (error) {
      fail(error);
    }
  }

  const statusLabel: Record<string, string> = {
    draft: tr('草稿', 'Draft'),
    scheduled: tr('待发送', 'Scheduled'),
    sending: tr('发送中', 'Sending'),
    sent: tr('已发送', 'Sent'),
    cancelled: tr('已取消', 'Cancelled'),
    failed: tr('失败', 'Failed'),
  };
  const audienceOk = audienceKind === 'all' ? confirmAll : Boolean(ref);
  return (
    <Space orientation="vertical" style={{ width: '100%' }} size="large">
      <Row gutter={16}>
        <Col span={15}>
          <Card
            title={tr('群发', 'Broadcast')}
            extra={
              quota && (
                <span data-testid="quota">
                  {tr(
                    `本${quota.period === 'day' ? '日' : '月'}剩余 ${quota.left}/${quota.allowance} 次`,
                    `${quota.left}/${quota.allowance} sends left this ${quota.period}`,
                  )}
                </span>
              )
            }
          >
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Space>
                <Select
                  style={{ width: 220 }}
                  value={accountId}
                  onChange={setAccountId}
                  options={accounts.map((a) => ({
                    value: a.id,
                    label: `${a.name}（${a.type === 'service' ? tr('服务号', 'service') : tr('订阅号', 'subscription')}）`,
                  }))}
                />
                <Radio.Group value={kind} onChange={(e) => setKind(e.target.value)}>
                  <Radio.Button value="news">{tr('图文', 'News')}</Radio.Button>
                  <Radio.Button value="text">{tr('文字', 'Text')}</Radio.Button>
                </Radio.Group>
              </Space>
              {kind === 'news' ? (
                articles.map((a, i) => (
                  <Card
                    size="small"
                    key={a.uid}
                    title={`${tr('文章', 'Article')} ${i + 1}`}
                    extra={
                      articles.length > 1 && (
                        <Button size="small" onClick={() => setArticles(articles.filter((_, k) => k !== i))}>
                          {tr('删除', 'Remove')}
                        </Button>
                      )
                    }
                  >
                    <Space orientation="vertical" style={{ width: '100%' }}>
                      <Input
                        placeholder={tr('标题', 'Title')}
                        value={a.title}
                        maxLength={64}
                        onChange={(e) => setArticle(i, { title: e.target.value })}
                      />
                      <Input
                        placeholder={tr('摘要', 'Digest')}
                        value={a.digest}
                        maxLength={120}
                        onChange={(e) => setArticle(i, { digest: e.target.value })}
                      />
                      <Input.TextArea
                        placeholder={tr('正文', 'Body')}
                        rows={3}
                        value={a.body}
                        onChange={(e) => setArticle(i, { body: e.target.value })}
                      />
                      <Input
                        placeholder={tr('阅读原文：商品或店铺页面链接', 'Read more: a product or shop page')}
                        value={a.link}
                        onChange={(e) => setArticle(i, { link: e.target.value })}
                      />
                    </Space>
                  </Card>
                ))
              ) : (
                <Input.TextArea
                  rows={4}
                  maxLength={600}
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  placeholder={tr('文字内容', 'Text')}
                />
              )}
              {kind === 'news' && articles.length < 8 && (
                <Button onClick={() => setArticles([...articles, blank()])}>
                  {tr('添加文章', 'Add article')}
                </Button>
              )}
              <Space wrap>
                <Radio.Group
                  value={audienceKind}
                  onChange={(e) => {
                    setAudienceKind(e.target.value);
                    setRef(undefined);
                  }}
                >
                  <Radio.Button value="tag">{tr('按标签', 'A tag')}</Radio.Button>
                  <Radio.Button value="segment">{tr('按分群', 'A segment')}</Radio.Button>
                  <Radio.Button value="all">{tr('全部会员', 'Everyone')}</Radio.Button>
                </Radio.Group>
                {audienceKind !== 'all' && (
                  <Select
                    data-testid="audience"
                    style={{ width: 200 }}
                    placeholder={tr('选择', 'Choose')}
                    value={ref}
                    onChange={setRef}
                    options={(audienceKind === 'tag' ? tags : segments).map((x) => ({
                      value: x.id,
                      label: x.name,
                    }))}
                  />
                )}
                {count !== null && (
                  <Typography.Text data-testid="audience-count" strong>
                    {tr(`${count} 人`, `${count} members`)}
                  </Typography.Text>
                )}
                {audienceKind === 'all' && count !== null && (
                  <Checkbox checked={confirmAll} onChange={(e) => setConfirmAll(e.target.checked)}>
                    {tr(`确认发给全部 ${count} 人`, `Yes, send to all ${count}`)}
                  </Checkbox>
                )}
              </Space>
              <Button type="primary" disabled={!audienceOk || !accountId} onClick={save}>
                {tr('保存草稿', 'Save draft')}
              </Button>
              {draft && (
                <Card size="small" title={`${tr('草稿', 'Draft')}：${draft.title}`}>
                  <Space orientation="vertical" style={{ width: '100%' }}>
                    <Space.Compact style={{ width: '100%' }}>
                      <Input
                        placeholder={tr('测试粉丝 openid，逗号分隔', 'Test fans’ openids, comma-separated')}
                        value={testFans}
                        onChange={(e) => setTestFans(e.target.value)}
                      />
                      <Button aria-label="preview" onClick={preview} disabled={!testFans.trim()}>
                        {tr('预览', 'Preview')}
                      </Button>
                    </Space.Compact>
                    <Space wrap>
                      <Button onClick={() => schedule({ preset: 'lunch' })}>
                        {tr('午饭后 12:30', 'After lunch 12:30')}
                      </Button>
                      <Button onClick={() => schedule({ preset: 'evening' })}>
                        {tr('睡前 21:30', 'Before sleep 21:30')}
                      </Button>
                      <Input
                        type="datetime-local"
                        value={at}
                        onChange={(e) => setAt(e.target.value)}
                        style={{ width: 200 }}
                      />
                      <Button disabled={!at} onClick={() => schedule({ at: new Date(at).getTime() })}>
                        {tr('定时', 'At this time')}
                      </Button>
                      <Button type="primary" danger onClick={() => schedule({ preset: 'now' })}>
                        {tr('立即发送', 'Send now')}
                      </Button>
                    </Space>
                  </Space>
                </Card>
              )}
            </Space>
          </Card>
        </Col>
        <Col span={9}>
          <Card title={tr('手机预览', 'On the phone')}>
            <div style={{ background: '#ededed', borderRadius: 16, padding: 12, minHeight: 260 }}>
              {kind === 'news' ? (
                <div style={{ background: '#fff', borderRadius: 8, overflow: 'hidden' }}>
                  {articles.map((a, i) =>
                    i === 0 ? (
                      <div
                        key={a.uid}
                        style={{
                          background: '#9ab',
                          height: 120,
                          display: 'flex',
                          alignItems: 'flex-end',
                          padding: 8,
                          color: '#fff',
                          fontWeight: 600,
                        }}
                      >
                        {a.title || tr('标题', 'Title')}
                      </div>
                    ) : (
                      <div key={a.uid} style={{ padding: 8, borderTop: '1px solid #eee' }}>
                        {a.title || tr('标题', 'Title')}
                      </div>
                    ),
                  )}
                  {articles[0]?.digest && (
                    <div style={{ padding: 8, color: '#888', fontSize: 12 }}>{articles[0].digest}</div>
                  )}
                </div>
              ) : (
                <div style={{ background: '#fff', borderRadius: 8, padding: 8, whiteSpace: 'pre-wrap' }}>
                  {text || '…'}
                </div>
              )}
            </div>
          </Card>
        </Col>
      </Row>
      <Card title={tr('发送记录与报告', 'Sends and reports')}>
        <Table
          rowKey="id"
          size="small"
          dataSource={list}
          pagination={false}
          columns={[
            { title: tr('标题', 'Title'), dataIndex: 'title' },
            {
              title: tr('状态', 'Status'),
              dataIndex: 'status',
              render: (s: string) => <Tag color={STATUS_COLOR[s]}>{statusLabel[s] ?? s}</Tag>,
            },
            {
              title: tr('发送时间', 'When'),
              dataIndex: 'scheduled_at',
              render: (v: number | null) => time(v),
            },
            {
              title: tr('进度', 'Progress'),
              render: (_: unknown, b: Broadcast) =>
                b.batches ? (
                  <Progress size="small" percent={Math.round((100 * b.batches_done) / b.batches)} />
                ) : (
                  '—'
                ),
            },
            { title: tr('受众', 'Audience'), dataIndex: 'recipients' },
            { title: tr('送达', 'Reached'), dataIndex: 'sent' },
            {
              title: tr('到达率（≥40%）', 'Reach (≥ 40%)'),
              render: (_: unknown, b: Broadcast) => {
                const rate = b.recipients ? b.sent / b.recipients : 0;
                return b.recipients ? (
                  <Tag color={rate >= 0.4 ? 'green' : 'red'}>{(rate * 100).toFixed(0)}%</Tag>
                ) : (
                  '—'
                );
              },
            },
            { title: tr('点击', 'Clicks'), dataIndex: 'clicks' },
            {
              title: '',
              render: (_: unknown, b: Broadcast) =>
                b.status === 'sent' || b.status === 'sending' ? (
                  <Button size="small" data-testid={`report-${b.id}`} onClick={() => setReportId(b.id)}>
                    {tr('报告', 'Report')}
                  </Button>
                ) : b.status === 'scheduled' || b.status === 'draft' ? (
                  <Button size="small" onClick={() => cancel(b.id)}>
                    {tr('取消', 'Cancel')}
                  </Button>
                ) : b.error ? (
                  <Typography.Text type="danger">{b.error}</Typography.Text>
                ) : null,
            },
          ]}
        />
      </Card>
      <NoticeTemplates />
      <SendReport id={reportId} onClose={() => setReportId(null)} />
    </Space>
  );
}
