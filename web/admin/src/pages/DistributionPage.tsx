import { Button, Card, Select, Space, Table, Tabs, Tag, Tree, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, time } from '../api.ts';
import { useCanEdit } from '../i18n.ts';
import { AgentsPanel } from './AgentsPanel.tsx';
import { SettingsForm } from './DistributionSettings.tsx';
import { nest, useTr } from './distText.ts';

interface Distributor {
  id: string;
  openid: string;
  code: string;
  status: 'pending' | 'active' | 'rejected' | 'suspended';
  via: string;
  parent_id: string | null;
  balance: number;
  pending: number;
  buyers: number;
  note: string;
  flagged: number;
  flag_reason: string | null;
  created_at: number;
}
interface Commission {
  id: string;
  order_id: string;
  distributor_id: string;
  level: number;
  buyer_openid: string;
  base: number;
  amount: number;
  status: 'pending' | 'settled' | 'reversed';
  settle_after: number;
}
interface Withdrawal {
  id: string;
  distributor_id: string;
  openid: string;
  amount: number;
  balance: number;
  status: string;
  reject_reason: string | null;
  created_at: number;
}

const STATUS_COLOR: Record<string, string> = {
  pending: 'orange',
  active: 'green',
  rejected: 'default',
  suspended: 'red',
  settled: 'green',
  reversed: 'default',
  requested: 'orange',
  paying: 'blue',
  paid: 'green',
  failed: 'red',
};

function useStatusText() {
  const tr = useTr();
  return (s: string) =>
    ({
      pending: tr('待审核', 'Pending'),
      active: tr('正常', 'Active'),
      rejected: tr('已拒绝', 'Rejected'),
      suspended: tr('已停用', 'Suspended'),
      settled: tr('已结算', 'Settled'),
      reversed: tr('已冲回', 'Reversed'),
      requested: tr('待审核', 'Requested'),
      paying: tr('打款中', 'Paying'),
      paid: tr('已到账', 'Paid'),
      failed: tr('失败', 'Failed'),
    })[s] ?? s;
}

function Distributors({ isOwner }: { isOwner: boolean }) {
  const tr = useTr();
  const statusText = useStatusText();
  const [rows, setRows] = useState<Distributor[]>([]);
  const [filter, setFilter] = useState<string>('');
  const load = useCallback(async () => {
    const q = filter === 'flagged' ? '&flagged=true' : filter ? `&status=${filter}` : '';
    setRows((await get<{ items: Distributor[] }>(`/growth/distributors?limit=100${q}`)).items);
  }, [filter]);
  useEffect(() => {
    void load();
  }, [load]);
  const review = async (id: string, decision: string) => {
    await post(`/growth/distributors/${id}/review`, { decision });
    await load();
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      <Select
        aria-label="distributor-filter"
        style={{ width: 200 }}
        value={filter}
        onChange={setFilter}
        options={[
          { value: '', label: tr('全部', 'All') },
          { value: 'pending', label: tr('待审核', 'Pending') },
          { value: 'active', label: tr('正常', 'Active') },
          { value: 'flagged', label: tr('异常提醒', 'Flagged') },
        ]}
      />
      <Table<Distributor>
        rowKey="id"
        size="small"
        dataSource={rows}
        pagination={{ pageSize: 20 }}
        columns={[
          { title: tr('粉丝', 'Fan'), dataIndex: 'openid' },
          {
            title: tr('状态', 'Status'),
            render: (_, d) => (
              <Space>
                <Tag color={STATUS_COLOR[d.status]}>{statusText(d.status)}</Tag>
                {d.flagged === 1 && (
                  <Tag color="red">
                    {tr('异常', 'Flagged')}: {d.flag_reason}
                  </Tag>
                )}
              </Space>
            ),
          },
          { title: tr('绑定买家', 'Buyers'), dataIndex: 'buyers' },
          { title: tr('待结算', 'Pending'), render: (_, d) => fen(d.pending) },
          { title: tr('可提现', 'Balance'), render: (_, d) => fen(d.balance) },
          { title: tr('加入', 'Joined'), render: (_, d) => time(d.created_at) },
          { title: tr('申请说明', 'Note'), dataIndex: 'note' },
          {
            title: tr('操作', 'Actions'),
            render: (_, d) =>
              isOwner && (
                <Space>
                  {d.status === 'pending' && (
                    <>
                      <Button size="small" type="primary" onClick={() => review(d.id, 'approve')}>
                        {tr('通过', 'Approve')}
                      </Button>
                      <Button size="small" onClick={() => review(d.id, 'reject')}>
                        {tr('拒绝', 'Reject')}
                      </Button>
                    </>
                  )}
                  {d.status === 'active' && (
                    <Button size="small" danger onClick={() => review(d.id, 'suspend')}>
                      {tr('停用', 'Suspend')}
                    </Button>
                  )}
                  {d.status === 'suspended' && (
                    <Button size="small" onClick={() => review(d.id, 'restore')}>
                      {tr('恢复', 'Restore')}
                    </Button>
                  )}
                </Space>
              ),
          },
        ]}
      />
    </Space>
  );
}

function DistributorTree() {
  const tr = useTr();
  const statusText = useStatusText();
  const [data, setData] = useState<ReturnType<typeof nest> | null>(null);
  useEffect(() => {
    void (async () => {
      const { nodes } = await get<{
        nodes: Array<{
          id: string;
          openid: string;
          status: string;
          flagged: boolean;
          parent_id: string | null;
        }>;
      }>('/growth/distributors/tree');
      setData(
        nest(nodes, (n) => (
          <span>
            {n.openid} <Tag color={STATUS_COLOR[n.status]}>{statusText(n.status)}</Tag>
            {n.flagged && <Tag color="red">{tr('异常', 'Flagged')}</Tag>}
          </span>
        )),
      );
    })();
  }, [tr, statusText]);
  if (!data) return null;
  return data.length ? (
    <Tree data-testid="distributor-tree" treeData={data} defaultExpandAll selectable={false} />
  ) : (
    <Typography.Text type="secondary">{tr('还没有分销员', 'No distributors yet')}</Typography.Text>
  );
}

function Commissions() {
  const tr = useTr();
  const statusText = useStatusText();
  const [rows, setRows] = useState<Commission[]>([]);
  useEffect(() => {
    void (async () => setRows((await get<{ items: Commission[] }>('/growth/commissions?limit=100')).items))();
  }, []);
  return (
    <Table<Commission>
      rowKey="id"
      size="small"
      dataSource={rows}
      pagination={{ pageSize: 20 }}
      columns={[
        { title: tr('订单', 'Order'), dataIndex: 'order_id' },
        { title: tr('分销员', 'Distributor'), dataIndex: 'distributor_id' },
        {
          title: tr('级别', 'Level'),
          render: (_, c) => (c.level === 1 ? tr('一级', 'Level 1') : tr('二级', 'Level 2')),
        },
        { title: tr('买家', 'Buyer'), dataIndex: 'buyer_openid' },
        { title: tr('实付（不含运费）', 'Paid (no shipping)'), render: (_, c) => fen(c.base) },
        { title: tr('佣金', 'Commission'), render: (_, c) => fen(c.amount) },
        {
          title: tr('状态', 'Status'),
          render: (_, c) => <Tag color={STATUS_COLOR[c.status]}>{statusText(c.status)}</Tag>,
        },
        { title: tr('结算时间', 'Settles at'), render: (_, c) => time(c.settle_after) },
      ]}
    />
  );
}

function Withdrawals({ isOwner }: { isOwner: boolean }) {
  const tr = useTr();
  const statusText = useStatusText();
  const [rows, setRows] = useState<Withdrawal[]>([]);
  const load = useCallback(
    async () => setRows((await get<{ items: Withdrawal[] }>('/growth/withdrawals?limit=100')).items),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const review = async (id: string, approve: boolean) => {
    await post(
      `/growth/withdrawals/${id}/review`,
      approve ? { approve } : { approve, reason: tr('审核未通过', 'Declined') },
    );
    await load();
  };
  return (
    <Table<Withdrawal>
      rowKey="id"
      size="small"
      dataSource={rows}
      pagination={{ pageSize: 20 }}
      columns={[
        { title: tr('分销员', 'Distributor'), dataIndex: 'openid' },
        { title: tr('金额', 'Amount'), render: (_, w) => fen(w.amount) },
        { title: tr('剩余可提现', 'Balance left'), render: (_, w) => fen(w.balance) },
        { title: tr('申请时间', 'Requested'), render: (_, w) => time(w.created_at) },
        {
          title: tr('状态', 'Status'),
          render: (_, w) => <Tag color={STATUS_COLOR[w.status]}>{statusText(w.status)}</Tag>,
        },
        {
          title: tr('操作', 'Actions'),
          render: (_, w) =>
            isOwner &&
            w.status === 'requested' && (
              <Space>
                <Button size="small" type="primary" onClick={() => review(w.id, true)}>
                  {tr('通过并打款', 'Approve & pay')}
                </Button>
                <Button size="small" onClick={() => review(w.id, false)}>
                  {tr('拒绝', 'Reject')}
                </Button>
              </Space>
            ),
        },
      ]}
    />
  );
}

/**
 * Distribution (分销) and agents (代理): distributors, the tree, commissions, withdrawals, settings.
 * An agent (customer service) sees only the distributors and the tree: the API refuses it the rest.
 */
export function DistributionPage({ role }: { role: string }) {
  const tr = useTr();
  const canEdit = useCanEdit();
  const isOwner = role === 'owner';
  const readsMoney = isOwner || role === 'operator';
  const tabs = [
    { key: 'list', label: tr('分销员', 'Distributors'), children: <Distributors isOwner={isOwner} /> },
    { key: 'tree', label: tr('关系树', 'Tree'), children: <DistributorTree /> },
    { key: 'commissions', label: tr('佣金', 'Commissions'), children: <Commissions /> },
    {
      key: 'withdrawals',
      label: tr('提现审核', 'Withdrawals'),
      children: <Withdrawals isOwner={isOwner} />,
    },
    {
      key: 'agents',
      label: tr('代理', 'Agents'),
      children: <AgentsPanel isOwner={isOwner} canEdit={canEdit} />,
    },
    { key: 'settings', label: tr('设置', 'Settings'), children: <SettingsForm isOwner={isOwner} /> },
  ];
  return (
    <Card title={tr('分销与代理', 'Distribution & agents')}>
      <Tabs items={readsMoney ? tabs : tabs.filter((tab) => tab.key === 'list' || tab.key === 'tree')} />
    </Card>
  );
}
