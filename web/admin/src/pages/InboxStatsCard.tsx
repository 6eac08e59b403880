import { Card, Col, Row, Statistic, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { get } from '../api.ts';
import { useTr } from './crmText.ts';

interface InboxStats {
  sla_minutes: number;
  business_hours: { days: number[]; start: string; end: string } | null;
  waiting: number;
  overdue: number;
  oldest_overdue: Array<{
    id: string;
    openid: string;
    assignee_id: string | null;
    preview: string | null;
    waited_ms: number;
  }>;
  agents: Array<{
    assignee_id: string | null;
    conversations: number;
    first_response_ms: number;
    within_sla: number;
    resolved: number;
    resolution_ms: number | null;
  }>;
}

const minutes = (ms: number | null) => (ms === null ? '—' : `${Math.round(ms / 6_000) / 10}`);

/** The customer-service part of the dashboard: waiting and overdue now, per-agent response times. */
export function InboxStatsCard() {
  const tr = useTr();
  const [stats, setStats] = useState<InboxStats | null>(null);
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    const load = () =>
      void get<InboxStats>('/inbox/stats')
        .then(setStats)
        .catch(() => setStats(null));
    load();
    const timer = setInterval(load, 30_000);
    // Agents are console users or API tokens; a role that cannot list them sees ids.
    void Promise.all([
      get<Array<{ user_id: string; name: string }>>('/members').catch(() => []),
      get<Array<{ id: string; name: string }>>('/tokens').catch(() => []),
    ]).then(([users, tokens]) =>
      setNames(
        Object.fromEntries([...users.map((u) => [u.user_id, u.name]), ...tokens.map((k) => [k.id, k.name])]),
      ),
    );
    return () => clearInterval(timer);
  }, []);
  if (!stats) return null;
  const who = (id: string | null) => (id === null ? tr('未分配', 'Unassigned') : (names[id] ?? id));
  const hours = stats.business_hours
    ? `${stats.business_hours.start}–${stats.business_hours.end}`
    : tr('全天候', 'around the clock');
  return (
    <Card
      data-testid="inbox-stats"
      title={tr('客服', 'Customer service')}
      extra={tr(
        `时限 ${stats.sla_minutes} 分钟 · 营业时间 ${hours}`,
        `SLA ${stats.sla_minutes} min · hours ${hours}`,
      )}
      style={{ marginTop: 16 }}
    >
      <Row gutter={16}>
        <Col span={4}>
          <Statistic title={tr('等待回复', 'Waiting')} value={stats.waiting} />
        </Col>
        <Col span={4}>
          <Statistic
            title={tr('超时未回复', 'Overdue')}
            value={stats.overdue}
            valueStyle={stats.overdue > 0 ? { color: '#cf1322' } : undefined}
          />
        </Col>
        <Col span={16}>
          {stats.oldest_overdue.slice(0, 5).map((o) => (
            <div key={o.id}>
              <Tag color="red">{`${Math.round(o.waited_ms / 60_000)} ${tr('分钟', 'min')}`}</Tag>
              {o.openid} · {who(o.assignee_id)} · {o.preview}
            </div>
          ))}
        </Col>
      </Row>
      <Table
        style={{ marginTop: 12 }}
        size="small"
        rowKey={(a) => a.assignee_id ?? '-'}
        pagination={false}
        dataSource={stats.agents}
        columns={[
          { title: tr('客服', 'Agent'), render: (_, a) => who(a.assignee_id) },
          { title: tr('会话（30 天）', 'Conversations (30 d)'), dataIndex: 'conversations' },
          {
            title: tr('平均首次响应（分钟）', 'Avg first response (min)'),
            render: (_, a) => minutes(a.first_response_ms),
          },
          {
            title: tr('时限内响应', 'Within SLA'),
            render: (_, a) => `${Math.round(a.within_sla * 100)}%`,
          },
          {
            title: tr('平均解决时长（分钟）', 'Avg resolution (min)'),
            render: (_, a) => minutes(a.resolution_ms),
          },
        ]}
      />
    </Card>
  );
}
