import { Alert, Button, Form, Input, InputNumber, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, fen, get, time } from '../api.ts';
import { useCanEdit } from '../i18n.ts';
import { useTr } from './crmText.ts';

interface Plan {
  id: string;
  name: string;
  description: string;
  period_days: number;
  price: number;
  seat_cap: number;
  window_start: number;
  window_days: number;
  repeat: 'yearly' | 'none';
  member_discount_pct: number;
  status: 'active' | 'paused';
  open_round: number | null;
  seats_taken: number;
  seats_left: number;
  next_opening: number | null;
}
interface Sales {
  paid: number;
  revenue: number;
  rounds: Array<{ round_start: number; seats_taken: number }>;
  seats: Array<{ order_id: string; openid: string; status: string; renewal: boolean; created_at: number }>;
}
interface Membership {
  id: string;
  openid: string;
  plan_id: string;
  active: boolean;
  started_at: number;
  expires_at: number;
}
type PlanForm = Omit<Plan, 'id' | 'open_round' | 'seats_taken' | 'seats_left' | 'next_opening'> & {
  id?: string;
};

const blank = (): PlanForm => ({
  name: '年度会员',
  description: '',
  period_days: 365,
  price: 19_900,
  seat_cap: 1000,
  window_start: Date.parse(`${new Date().toISOString().slice(0, 10)}T00:00:00+08:00`),
  window_days: 30,
  repeat: 'yearly',
  member_discount_pct: 0,
  status: 'active',
});

/** Membership plans (a recruiting window once a year, a seat cap), their sales and members. */
export function CommunityMembership() {
  const tr = useTr();
  const canEdit = useCanEdit();
  const [plans, setPlans] = useState<Plan[]>([]);
  const [form, setForm] = useState<PlanForm | null>(null);
  const [sales, setSales] = useState<{ plan: Plan; data: Sales } | null>(null);
  const [members, setMembers] = useState<Membership[]>([]);
  const [message, setMessage] = useState<{ type: 'success' | 'error'; text: string } | null>(null);
  const load = useCallback(async () => {
    setPlans(await get<Plan[]>('/community/plans'));
    setMembers(await get<Membership[]>('/community/memberships'));
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const save = async () => {
    if (!form) return;
    const { id, ...body } = form;
    try {
      await api(id ? 'PUT' : 'POST', id ? `/community/plans/${id}` : '/community/plans', body);
      setForm(null);
      setMessage({ type: 'success', text: tr('已保存', 'Saved') });
      await load();
    } catch (error) {
      setMessage({ type: 'error', text: (error as Error).message });
    }
  };
  const set = (patch: Partial<PlanForm>) => form && setForm({ ...form, ...patch });
  return (
    <>
      {message && <Alert type={message.type} showIcon message={message.text} style={{ marginBottom: 12 }} />}
      {form ? (
        <Form layout="vertical" disabled={!canEdit} style={{ maxWidth: 720 }}>
          <Space wrap>
            <Form.Item label={tr('方案名称', 'Plan name')}>
              <Input value={form.name} maxLength={30} onChange={(e) => set({ name: e.target.value })} />
            </Form.Item>
            <Form.Item label={tr('价格（元）', 'Price (yuan)')}>
              <InputNumber
                min={0.01}
                step={1}
                value={form.price / 100}
                onChange={(v) => set({ price: Math.round((v ?? 0) * 100) })}
              />
            </Form.Item>
            <Form.Item label={tr('会员期（天）', 'Period (days)')}>
              <InputNumber min={1} value={form.period_days} onChange={(v) => set({ period_days: v ?? 1 })} />
            </Form.Item>
            <Form.Item label={tr('会员价折扣 %', "Members' price: % off")}>
              <InputNumber
                min={0}
                max={50}
                value={form.member_discount_pct}
                onChange={(v) => set({ member_discount_pct: v ?? 0 })}
              />
            </Form.Item>
            <Form.Item label={tr('名额上限', 'Seat cap')}>
              <InputNumber min={1} value={form.seat_cap} onChange={(v) => set({ seat_cap: v ?? 1 })} />
            </Form.Item>
          </Space>
          <Space wrap>
            <Form.Item label={tr('招募开始', 'Recruiting opens')}>
              <Input
                type="date"
                value={new Date(form.window_start + 8 * 3_600_000).toISOString().slice(0, 10)}
                onChange={(e) =>
                  e.target.value && set({ window_start: Date.parse(`${e.target.value}T00:00:00+08:00`) })
                }
              />
            </Form.Item>
            <Form.Item label={tr('招募天数', 'Recruiting days')}>
              <InputNumber min={1} value={form.window_days} onChange={(v) => set({ window_days: v ?? 1 })} />
            </Form.Item>
            <Form.Item label={tr('重复', 'Repeats')}>
              <Select
                style={{ width: 140 }}
                value={form.repeat}
                onChange={(repeat) => set({ repeat })}
                options={[
                  { value: 'yearly', label: tr('每年一次', 'Once a year') },
                  { value: 'none', label: tr('仅一次', 'Once') },
                ]}
              />
            </Form.Item>
            <Form.Item label={tr('状态', 'Status')}>
              <Select
                style={{ width: 120 }}
                value={form.status}
                onChange={(status) => set({ status })}
                options={[
                  { value: 'active', label: tr('招募中', 'On sale') },
                  { value: 'paused', label: tr('暂停', 'Paused') },
                ]}
              />
            </Form.Item>
          </Space>
          <Form.Item label={tr('介绍', 'Description')}>
            <Input.TextArea
              rows={3}
              value={form.description}
              onChange={(e) => set({ description: e.target.value })}
            />
          </Form.Item>
          <Space>
            <Button type="primary" onClick={save}>
              {tr('保存', 'Save')}
            </Button>
            <Button onClick={() => setForm(null)}>{tr('取消', 'Cancel')}</Button>
          </Space>
        </Form>
      ) : (
        canEdit && (
          <Button type="primary" onClick={() => setForm(blank())} style={{ marginBottom: 12 }}>
            {tr('新建会员方案', 'New plan')}
          </Button>
        )
      )}
      <Table
        rowKey="id"
        size="small"
        dataSource={plans}
        pagination={false}
        columns={[
          { title: tr('方案', 'Plan'), dataIndex: 'name' },
          { title: tr('价格', 'Price'), dataIndex: 'price', render: fen },
          { title: tr('会员期（天）', 'Period (days)'), dataIndex: 'period_days' },
          {
            title: tr('本期名额', 'Seats this round'),
            render: (_, p) =>
              p.open_round === null ? (
                <Tag>
                  {tr(`未在招募，下期 ${time(p.next_opening)}`, `Closed; next ${time(p.next_opening)}`)}
                </Tag>
              ) : (
                `${p.seats_taken} / ${p.seat_cap}`
              ),
          },
          {
            title: '',
            render: (_, p) => (
              <Space>
                <Button
                  type="link"
                  size="small"
                  onClick={async () =>
                    setSales({ plan: p, data: await get<Sales>(`/community/plans/${p.id}/sales`) })
                  }
                >
                  {tr('销售', 'Sales')}
                </Button>
                {canEdit && (
                  <Button
                    type="link"
                    size="small"
                    onClick={() => {
                      const {
                        open_round: _o,
                        seats_taken: _t,
                        seats_left: _l,
                        next_opening: _n,
                        ...editable
                      } = p;
                      setForm(editable);
                    }}
                  >
                    {tr('编辑', 'Edit')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      {sales && (
        <div style={{ marginTop: 16 }} data-testid="plan-sales">
          <b>
            {sales.plan.name} · {tr('已付款', 'Paid')} {sales.data.paid} · {tr('收入', 'Revenue')}{' '}
            {fen(sales.data.revenue)}
          </b>
          <Table
            rowKey="order_id"
            size="small"
            dataSource={sales.data.seats}
            pagination={{ pageSize: 10 }}
            columns={[
              { title: tr('订单', 'Order'), dataIndex: 'order_id' },
              { title: 'OpenID', dataIndex: 'openid' },
              { title: tr('状态', 'Status'), dataIndex: 'status' },
              { title: tr('续费', 'Renewal'), dataIndex: 'renewal', render: (v) => (v ? '✓' : '') },
              { title: tr('时间', 'Time'), dataIndex: 'created_at', render: time },
            ]}
          />
        </div>
      )}
      <h4 style={{ marginTop: 24 }}>{tr('付费会员', 'Paid members')}</h4>
      <Table
        rowKey="id"
        size="small"
        dataSource={members}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: 'OpenID', dataIndex: 'openid' },
          {
            title: tr('状态', 'Status'),
            dataIndex: 'active',
            render: (v) =>
              v ? <Tag color="green">{tr('有效', 'Active')}</Tag> : <Tag>{tr('已结束', 'Ended')}</Tag>,
          },
          { title: tr('开始', 'Started'), dataIndex: 'started_at', render: time },
          { title: tr('到期', 'Expires'), dataIndex: 'expires_at', render: time },
        ]}
      />
    </>
  );
}
