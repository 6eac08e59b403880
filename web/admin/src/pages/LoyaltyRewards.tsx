import { Alert, Button, Card, Input, InputNumber, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { get, post, put, time } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Reward {
  id: string;
  name: string;
  description: string;
  image_url: string;
  points: number;
  stock: number | null;
  per_card_limit: number;
  min_level: string;
  status: 'active' | 'archived';
  redeemed: number;
}
interface Redemption {
  id: string;
  reward_id: string;
  card_id: string;
  points: number;
  code: string;
  status: string;
  created_at: number;
}
type Draft = Omit<Reward, 'id' | 'redeemed'>;
const empty: Draft = {
  name: '',
  description: '',
  image_url: '',
  points: 100,
  stock: null,
  per_card_limit: 1,
  min_level: '',
  status: 'active',
};

/** The rewards catalogue (spend points on a reward) and its redemptions. */
export function RewardsTab() {
  const t = useT();
  const canEdit = useCanEdit();
  const [rewards, setRewards] = useState<Reward[]>([]);
  const [redemptions, setRedemptions] = useState<Redemption[]>([]);
  const [levels, setLevels] = useState<Array<{ key: string; name: string }>>([]);
  const [draft, setDraft] = useState<Draft>(empty);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const [r, d, p] = await Promise.all([
      get<Reward[]>('/loyalty/rewards'),
      get<Redemption[]>('/loyalty/redemptions'),
      get<{ levels: Array<{ key: string; name: string }> }>('/loyalty/program'),
    ]);
    setRewards(r);
    setRedemptions(d);
    setLevels(p.levels);
  }, []);
  useEffect(() => {
    load();
  }, [load]);
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      setError(null);
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const status = { issued: t('待领取'), fulfilled: t('已发放'), cancelled: t('已取消') } as Record<
    string,
    string
  >;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {error && <Alert type="error" message={error} />}
      {canEdit && (
        <Card size="small" title={t('新建礼品')}>
          <Space wrap>
            <Input
              placeholder={t('礼品名称')}
              maxLength={40}
              value={draft.name}
              onChange={(e) => setDraft({ ...draft, name: e.target.value })}
            />
            <Input
              placeholder={t('说明')}
              maxLength={500}
              value={draft.description}
              onChange={(e) => setDraft({ ...draft, description: e.target.value })}
            />
            <InputNumber
              addonBefore={t('积分')}
              min={1}
              value={draft.points}
              onChange={(v) => setDraft({ ...draft, points: v ?? 1 })}
            />
            <InputNumber
              addonBefore={t('库存')}
              min={0}
              placeholder={t('不限')}
              value={draft.stock}
              onChange={(v) => setDraft({ ...draft, stock: v ?? null })}
            />
            <InputNumber
              addonBefore={t('每卡限兑')}
              min={0}
              value={draft.per_card_limit}
              onChange={(v) => setDraft({ ...draft, per_card_limit: v ?? 0 })}
            />
            <Select
              style={{ width: 160 }}
              value={draft.min_level}
              onChange={(min_level) => setDraft({ ...draft, min_level })}
              options={[
                { value: '', label: t('所有等级') },
                ...levels.map((l) => ({ value: l.key, label: l.name })),
              ]}
            />
            <Button
              type="primary"
              disabled={!draft.name.trim()}
              onClick={() =>
                act(async () => {
                  await post('/loyalty/rewards', draft);
                  setDraft(empty);
                })
              }
            >
              {t('添加')}
            </Button>
          </Space>
        </Card>
      )}
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={rewards}
        columns={[
          { title: t('礼品'), dataIndex: 'name' },
          { title: t('积分'), dataIndex: 'points' },
          { title: t('库存'), render: (_, r) => (r.stock === null ? t('不限') : r.stock) },
          { title: t('已兑换'), dataIndex: 'redeemed' },
          { title: t('每卡限兑'), render: (_, r) => r.per_card_limit || t('不限') },
          {
            title: t('状态'),
            render: (_, r) => (
              <Tag color={r.status === 'active' ? 'green' : 'default'}>
                {r.status === 'active' ? t('上架') : t('已下架')}
              </Tag>
            ),
          },
          {
            title: '',
            render: (_, r) =>
              canEdit && (
                <Button
                  size="small"
                  onClick={() =>
                    act(() =>
                      put(`/loyalty/rewards/${r.id}`, {
                        name: r.name,
                        description: r.description,
                        image_url: r.image_url,
                        points: r.points,
                        stock: r.stock,
                        per_card_limit: r.per_card_limit,
                        min_level: r.min_level,
                        status: r.status === 'active' ? 'archived' : 'active',
                      }),
                    )
                  }
                >
                  {r.status === 'active' ? t('下架') : t('上架')}
                </Button>
              ),
          },
        ]}
      />
      <Card size="small" title={t('兑换记录')}>
        <Table
          rowKey="id"
          size="small"
          dataSource={redemptions}
          columns={[
            { title: t('时间'), render: (_, r) => time(r.created_at) },
            {
              title: t('礼品'),
              render: (_, r) => rewards.find((x) => x.id === r.reward_id)?.name ?? r.reward_id,
            },
            { title: t('积分'), dataIndex: 'points' },
            { title: t('兑换码'), dataIndex: 'code' },
            { title: t('状态'), render: (_, r) => status[r.status] ?? r.status },
            {
              title: '',
              render: (_, r) =>
                canEdit &&
                r.status === 'issued' && (
                  <Button
                    size="small"
                    danger
                    onClick={() => act(() => post(`/loyalty/redemptions/${r.id}/cancel`))}
                  >
                    {t('取消并退回积分')}
                  </Button>
                ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}
