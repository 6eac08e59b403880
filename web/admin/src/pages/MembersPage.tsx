import { App as AntApp, Button, Card, Drawer, Input, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, time } from '../api.ts';
import { type MemberSummary, memberName, type TagInfo, useTr } from './crmText.ts';
import { ImportPanel } from './ImportPanel.tsx';
import { MemberProfile } from './MemberProfile.tsx';

interface Segment {
  id: string;
  name: string;
}

/** Members (one per person across accounts), filtered by a saved segment; bulk tagging; profile drawer. */
export function MembersPage() {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [segments, setSegments] = useState<Segment[]>([]);
  const [tags, setTags] = useState<TagInfo[]>([]);
  const [filter, setFilter] = useState<{ segment_id?: string; q?: string }>({});
  const [rows, setRows] = useState<MemberSummary[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [selected, setSelected] = useState<string[]>([]);
  const [open, setOpen] = useState<string | null>(null);

  useEffect(() => {
    void get<Segment[]>('/crm/segments').then(setSegments);
    void get<TagInfo[]>('/crm/tags').then(setTags);
  }, []);
  const load = useCallback(
    async (after?: string) => {
      const query = new URLSearchParams({
        limit: '50',
        ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)),
        ...(after ? { cursor: after } : {}),
      });
      const page = await get<{ items: MemberSummary[]; next_cursor: string | null }>(`/crm/members?${query}`);
      setRows((current) => (after ? [...current, ...page.items] : page.items));
      setCursor(page.next_cursor);
    },
    [filter],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const bulkTag = async (tagId: string) => {
    try {
      const result = await post<{ added: number; refused: string[] }>(`/crm/tags/${tagId}/members`, {
        member_ids: selected,
      });
      message.success(
        tr(`已打标签 ${result.added} 人`, `Tagged ${result.added}`) +
          (result.refused.length
            ? tr(
                `，${result.refused.length} 人已满 20 个微信标签`,
                `, ${result.refused.length} at WeChat's 20-tag limit`,
              )
            : ''),
      );
      setSelected([]);
      await load();
    } catch (error) {
      message.error((error as Error).message);
    }
  };

  return (
    <Card title={tr('会员', 'Members')}>
      <ImportPanel segmentId={filter.segment_id} onDone={() => void load()} />
      <Space wrap style={{ marginBottom: 16 }}>
        <Select
          allowClear
          aria-label="segment"
          placeholder={tr('全部会员（按分群筛选）', 'All members (filter by segment)')}
          style={{ minWidth: 220 }}
          options={segments.map((s) => ({ value: s.id, label: s.name }))}
          onChange={(segment_id?: string) => setFilter({ ...filter, segment_id })}
        />
        <Input.Search
          allowClear
          placeholder={tr('姓名或手机', 'Name or phone')}
          style={{ width: 200 }}
          onSearch={(q) => setFilter({ ...filter, q })}
        />
        <Select
          disabled={selected.length === 0}
          placeholder={tr(`给选中的 ${selected.length} 人打标签`, `Tag ${selected.length} selected`)}
          style={{ minWidth: 200 }}
          value={null}
          options={tags.map((t) => ({ value: t.id, label: t.name }))}
          onChange={(tagId: string) => void bulkTag(tagId)}
        />
      </Space>
      <Table<MemberSummary>
        rowKey="id"
        dataSource={rows}
        pagination={false}
        rowSelection={{ selectedRowKeys: selected, onChange: (keys) => setSelected(keys as string[]) }}
        onRow={(m) => ({ onClick: () => setOpen(m.id), style: { cursor: 'pointer' } })}
        columns={[
          { title: tr('会员', 'Member'), render: (_, m) => memberName(m) },
          { title: tr('手机', 'Phone'), dataIndex: 'phone' },
          { title: tr('地区', 'Region'), dataIndex: 'region' },
          { title: tr('标签', 'Tags'), render: (_, m) => m.tags.map((t) => <Tag key={t.id}>{t.name}</Tag>) },
          { title: tr('订单', 'Orders'), dataIndex: 'order_count' },
          { title: tr('消费', 'Spend'), render: (_, m) => fen(m.spend) },
          { title: tr('最近互动', 'Last contact'), render: (_, m) => time(m.last_contact_at) },
        ]}
      />
      {cursor && (
        <Button style={{ marginTop: 12 }} onClick={() => void load(cursor)}>
          {tr('加载更多', 'Load more')}
        </Button>
      )}
      <Drawer
        size="large"
        open={open !== null}
        onClose={() => setOpen(null)}
        title={tr('会员档案', 'Member profile')}
        destroyOnHidden
      >
        {open && <MemberProfile memberId={open} />}
      </Drawer>
    </Card>
  );
}
