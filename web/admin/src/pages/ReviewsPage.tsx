import { Card, Rate, Select, Switch, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, get, time } from '../api.ts';
import { useT } from '../i18n.ts';

interface Review {
  id: string;
  product_id: string;
  rating: number;
  text: string;
  source: 'shop' | 'chat';
  hidden: boolean;
  created_at: number;
}

export function ReviewsPage() {
  const t = useT();
  const [hidden, setHidden] = useState<string | undefined>();
  const [reviews, setReviews] = useState<Review[]>([]);
  const load = useCallback(async () => {
    setReviews(
      (await get<{ items: Review[] }>(`/reviews?limit=100${hidden ? `&hidden=${hidden}` : ''}`)).items,
    );
  }, [hidden]);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <Card title={t('评价')}>
      <Select
        allowClear
        placeholder="显示状态"
        style={{ width: 140, marginBottom: 16 }}
        options={[
          { value: 'false', label: '显示中' },
          { value: 'true', label: '已隐藏' },
        ]}
        onChange={setHidden}
      />
      <Table<Review>
        rowKey="id"
        dataSource={reviews}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: '评分', render: (_, r) => <Rate disabled value={r.rating} /> },
          { title: '内容', dataIndex: 'text' },
          { title: '来源', render: (_, r) => <Tag>{r.source === 'chat' ? '聊天回复' : '商城'}</Tag> },
          { title: '时间', render: (_, r) => time(r.created_at) },
          {
            title: '隐藏',
            render: (_, r) => (
              <Switch
                size="small"
                aria-label={`hide-${r.id}`}
                checked={r.hidden}
                onChange={async (value) => {
                  await api('PATCH', `/reviews/${r.id}`, { hidden: value });
                  void load();
                }}
              />
            ),
          },
        ]}
      />
    </Card>
  );
}
