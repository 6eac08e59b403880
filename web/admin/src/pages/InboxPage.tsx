import {
  App as AntApp,
  Badge,
  Button,
  Card,
  Col,
  Empty,
  Input,
  Row,
  Select,
  Space,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type Account, fen, get, post, time } from '../api.ts';
import { useTr } from './crmText.ts';
import { InboxSettings, NoticeComposer } from './InboxSettings.tsx';
import { MemberProfile } from './MemberProfile.tsx';

interface Conversation {
  id: string;
  account_id: string;
  openid: string;
  member_id: string | null;
  status: string;
  assignee_id: string | null;
  last_message_at: number;
  preview: string | null;
  waiting_since: number | null;
  wants_human: boolean;
  overdue: boolean;
  waited_ms: number;
  window_ends_at: number | null;
}
interface Detail {
  conversation: Conversation;
  window_open: boolean;
  notice: { available: boolean; reason: string | null };
  messages: Array<{
    id: string;
    at: number;
    from: 'fan' | 'auto' | 'agent' | 'event';
    kind: string;
    text: string | null;
  }>;
  member: { id: string } | null;
  orders: Array<{ id: string; status: string; total: number; created_at: number }>;
  persona: { name: string; signature: string | null; guidelines: string | null } | null;
  canned: Array<{ id: string; title: string; text: string }>;
}

const EVENT_LABEL: Record<string, [string, string]> = {
  subscribe: ['关注了公众号', 'Followed the account'],
  unsubscribe: ['取消关注', 'Unfollowed'],
  scan: ['扫描了二维码', 'Scanned a QR code'],
  click: ['点击了菜单', 'Clicked a menu'],
  view: ['打开了菜单链接', 'Opened a menu link'],
  template_send_finish: ['模板通知已送达', 'Template notice delivered'],
};

const BUBBLE: Record<string, React.CSSProperties> = {
  fan: { background: '#f0f0f0', alignSelf: 'flex-start' },
  auto: { background: '#e6f4ff', alignSelf: 'flex-end' },
  agent: { background: '#95ec69', alignSelf: 'flex-end' },
  event: { alignSelf: 'center', color: '#999', fontSize: 12 },
};

/** Three panes: conversations, the chat with its composer, and the member beside it. Live over SSE. */
export function InboxPage({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  const { message, notification } = AntApp.useApp();
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [view, setView] = useState('all');
  const [list, setList] = useState<Conversation[]>([]);
  const [openId, setOpenId] = useState<string | null>(null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const [text, setText] = useState('');
  const [live, setLive] = useState(false);
  const openRef = useRef<string | null>(null);
  openRef.current = openId;

  const loadList = useCallback(
    async () => setList(await get<Conversation[]>(`/inbox/conversations?view=${view}`)),
    [view],
  );
  const loadDetail = useCallback(
    async (id: string) => setDetail(await get<Detail>(`/inbox/conversations/${id}`)),
    [],
  );
  useEffect(() => {
    void loadList();
  }, [loadList]);
  useEffect(() => {
    if (openId) void loadDetail(openId);
  }, [openId, loadDetail]);
  useEffect(() => {
    const source = new EventSource('/api/v1/inbox/stream');
    source.addEventListener('ready', () => setLive(true));
    source.addEventListener('changed', () => {
      void loadList();
      if (openRef.current) void loadDetail(openRef.current);
    });
    // The SLA alert: a conversation assigned to me has waited past the reply time.
    source.addEventListener('sla', (event) => {
      const late = JSON.parse((event as MessageEvent).data) as {
        id: string;
        openid: string;
        preview: string | null;
      };
      notification.warning({
        key: late.id,
        message: tr('回复超时', 'Reply overdue'),
        description: `${late.openid}：${late.preview ?? ''}`,
        onClick: () => setOpenId(late.id),
      });
    });
    source.onerror = () => setLive(false);
    return () => source.close();
  }, [loadList, loadDetail, notification, tr]);

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await loadList();
      if (openId) await loadDetail(openId);
    } catch (error) {
      message.error((error as Error).message);
    }
  };
  const eventLabel = (kind: string) => {
    const label = EVENT_LABEL[kind];
    return label ? tr(label[0], label[1]) : kind;
  };
  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;
  const c = detail?.conversation;

  return (
    <Row gutter={12} style={{ height: 'calc(100vh - 112px)' }}>
      <Col span={6} style={{ height: '100%', overflow: 'auto' }}>
        <Card
          size="small"
          title={
            <Space>
              {tr('会话', 'Conversations')}
              <Badge status={live ? 'success' : 'default'} text={live ? tr('实时', 'Live') : ''} />
            </Space>
          }
          extra={
            <Button size="small" aria-label="inbox settings" onClick={() => setSettingsOpen(true)}>
              {tr('设置', 'Settings')}
            </Button>
          }
        >
          <InboxSettings open={settingsOpen} onClose={() => setSettingsOpen(false)} />
          <Tabs
            size="small"
            activeKey={view}
            onChange={setView}
            items={[
              { key: 'unassigned', label: tr('未分配', 'Unassigned') },
              { key: 'mine', label: tr('我的', 'Mine') },
              { key: 'all', label: tr('全部', 'All') },
              { key: 'overdue', label: tr('超时', 'Overdue') },
            ]}
          />
          {list.length === 0 && <Empty description={tr('暂无会话', 'No conversations')} />}
          {list.map((item) => (
            <button
              type="button"
              key={item.id}
              data-testid="conversation"
              onClick={() => setOpenId(item.id)}
              style={{
                all: 'unset',
                boxSizing: 'border-box',
                display: 'block',
                width: '100%',
                cursor: 'pointer',
                background: item.id === openId ? '#e6f4ff' : undefined,
                padding: '8px',
                borderBottom: '1px solid #f0f0f0',
              }}
            >
              <Space orientation="vertical" size={0} style={{ width: '100%' }}>
                <Space>
                  <Typography.Text strong>{item.openid}</Typography.Text>
                  {item.overdue && (
                    <Tag color="red">
                      {tr('超时', 'Overdue')} {Math.round(item.waited_ms / 60_000)}
                      {tr('分钟', ' min')}
                    </Tag>
                  )}
                  {item.wants_human && <Tag color="orange">{tr('要人工', 'Wants a person')}</Tag>}
                </Space>
                <Typography.Text type="secondary" ellipsis>
                  {item.preview}
                </Typography.Text>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {accountName(item.account_id)} · {time(item.last_message_at)}
                </Typography.Text>
              </Space>
            </button>
          ))}
        </Card>
      </Col>
      <Col span={11} style={{ height: '100%' }}>
        {!detail || !c ? (
          <Card style={{ height: '100%' }}>
            <Empty description={tr('选择一个会话', 'Pick a conversation')} />
          </Card>
        ) : (
          <Card
            size="small"
            style={{ height: '100%', display: 'flex', flexDirection: 'column' }}
            styles={{ body: { flex: 1, display: 'flex', flexDirection: 'column', minHeight: 0 } }}
            title={`${c.openid} · ${accountName(c.account_id)}`}
            extra={
              <Space>
                {c.status === 'open' ? (
                  <Button
                    size="small"
                    onClick={() => void act(() => post(`/inbox/conversations/${c.id}/close`))}
                  >
                    {tr('结束', 'Close')}
                  </Button>
                ) : (
                  <Button
                    size="small"
                    onClick={() => void act(() => post(`/inbox/conversations/${c.id}/reopen`))}
                  >
                    {tr('重新打开', 'Reopen')}
                  </Button>
                )}
              </Space>
            }
          >
            {detail.persona && (
              <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
                {tr('人设', 'Persona')}：{detail.persona.name}
                {detail.persona.guidelines ? ` — ${detail.persona.guidelines}` : ''}
              </Typography.Paragraph>
            )}
            <div
              data-testid="chat"
              style={{ flex: 1, overflow: 'auto', display: 'flex', flexDirection: 'column', gap: 6 }}
            >
              {detail.messages.map((m) =>
                m.from === 'event' ? (
                  <div key={m.id} style={BUBBLE.event}>
                    {eventLabel(m.kind)} · {time(m.at)}
                  </div>
                ) : (
                  <div
                    key={m.id}
                    style={{ ...BUBBLE[m.from], padding: '6px 10px', borderRadius: 6, maxWidth: '80%' }}
                  >
                    {m.text ?? `[${m.kind}]`}
                    <div style={{ fontSize: 11, color: '#888' }}>
                      {m.from === 'auto'
                        ? tr('自动回复', 'Auto reply')
                        : m.from === 'agent'
                          ? tr('客服', 'Agent')
                          : ''}{' '}
                      {time(m.at)}
                    </div>
                  </div>
                ),
              )}
            </div>
            {detail.window_open ? (
              <Space orientation="vertical" style={{ width: '100%', marginTop: 8 }}>
                <Select
                  size="small"
                  placeholder={tr('快捷回复', 'Canned replies')}
                  style={{ width: 220 }}
                  value={null}
                  options={detail.canned.map((x) => ({ value: x.text, label: x.title }))}
                  onChange={(value: string) => setText(value)}
                />
                <Space.Compact style={{ width: '100%' }}>
                  <Input.TextArea
                    aria-label="reply"
                    autoSize={{ minRows: 2 }}
                    value={text}
                    onChange={(e) => setText(e.target.value)}
                  />
                  <Button
                    aria-label="send"
                    type="primary"
                    disabled={!text.trim()}
                    onClick={() =>
                      void act(async () => {
                        await post(`/inbox/conversations/${c.id}/reply`, { text });
                        setText('');
                      })
                    }
                  >
                    {tr('发送', 'Send')}
                  </Button>
                </Space.Compact>
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {tr('客服消息窗口至', 'Reply window until')} {time(c.window_ends_at)}
                </Typography.Text>
              </Space>
            ) : (
              <NoticeComposer
                conversationId={c.id}
                notice={detail.notice}
                onSent={() => void loadDetail(c.id)}
              />
            )}
          </Card>
        )}
      </Col>
      <Col span={7} style={{ height: '100%', overflow: 'auto' }}>
        {detail?.member && <MemberProfile key={detail.member.id} memberId={detail.member.id} compact />}
        {detail && (
          <Card size="small" title={tr('订单', 'Orders')} style={{ marginTop: 8 }}>
            {detail.orders.length === 0 && <Typography.Text type="secondary">—</Typography.Text>}
            {detail.orders.map((o) => (
              <div key={o.id}>
                {o.id.slice(-8)} · <Tag>{o.status}</Tag> {fen(o.total)} · {time(o.created_at)}
              </div>
            ))}
          </Card>
        )}
      </Col>
    </Row>
  );
}
