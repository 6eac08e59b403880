import { Button, Card, Input, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, get, time } from '../api.ts';
import { useT } from '../i18n.ts';

interface Follower {
  id: string;
  account_id: string;
  openid: string;
  subscribed: boolean;
  source_name: string | null;
  last_interaction_at: number | null;
  first_subscribed_at: number | null;
  tags: string[];
}

export function FollowersPage({ accounts }: { accounts: Account[] }) {
  const t = useT();
  const [filter, setFilter] = useState<{
    account_id?: string;
    subscribed?: string;
    tag?: string;
    q?: string;
  }>({});
  const [rows, setRows] = useState<Follower[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const load = useCallback(
    async (after?: string) => {
      const query = new URLSearchParams({
        limit: '50',
        ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)),
        ...(after ? { cursor: after } : {}),
      });
      const page = await get<{ items: Follower[]; next_cursor: string | null }>(`/followers?${query}`);
      setRows((current) => (after ? [...current, ...page.items] : page.items));
      setCursor(page.next_cursor);
    },
    [filter],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;
  return (
    <Card title={t('粉丝')}>
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          allowClear
          placeholder="全部公众号"
          style={{ minWidth: 180 }}
          options={accounts.map((a) => ({ value: a.id, label: a.name }))}
          onChange={(account_id) => setFilter({ ...filter, account_id })}
        />
        <Select
          allowClear
          placeholder="关注状态"
          style={{ width: 120 }}
          options={[
            { value: 'true', label: '已关注' },
            { value: 'false', label: '已取关' },
          ]}
          onChange={(subscribed) => setFilter({ ...filter, subscribed })}
        />
        <Input.Search
          placeholder="标签"
          allowClear
          onSearch={(tag) => setFilter({ ...filter, tag })}
          style={{ width: 160 }}
        />
        <Input.Search
          placeholder="openid"
          allowClear
          onSearch={(q) => setFilter({ ...filter, q })}
          style={{ width: 200 }}
        />
      </Space>
      <Table<Follower>
        rowKey="id"
        dataSource={rows}
        pagination={false}
        columns={[
          { title: 'openid', dataIndex: 'openid' },
          { title: '公众号', render: (_, f) => accountName(f.account_id) },
          {
            title: '状态',
            render: (_, f) => (f.subscribed ? <Tag color="green">已关注</Tag> : <Tag>已取关</Tag>),
          },
          { title: '来源渠道', render: (_, f) => f.source_name ?? '直接关注' },
          { title: '标签', render: (_, f) => f.tags.map((tag) => <Tag key={tag}>{tag}</Tag>) },
          { title: '首次关注', render: (_, f) => time(f.first_subscribed_at) },
          { title: '最近互动', render: (_, f) => time(f.last_interaction_at) },
        ]}
      />
      {cursor && (
        <Button style={{ marginTop: 12 }} onClick={() => load(cursor)}>
          加载更多
        </Button>
      )}
    </Card>
  );
}
