import { Alert, Button, Form, Input, InputNumber, Select, Space, Table, Tree, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, put } from '../api.ts';
import { nest, useTr } from './distText.ts';

interface Level {
  id: string;
  name: string;
  rank: number;
  upgrade_spend: number;
}
interface AgentNode {
  id: string;
  name: string;
  phone: string;
  level_id: string;
  level_name: string;
  rank: number;
  parent_id: string | null;
  purchased: number;
  stock: number;
}

/** Agents (层层代理): levels with wholesale prices, the dealer tree, stock orders. */
export function AgentsPanel({ isOwner, canEdit }: { isOwner: boolean; canEdit: boolean }) {
  const tr = useTr();
  const [levels, setLevels] = useState<Level[]>([]);
  const [agents, setAgents] = useState<AgentNode[]>([]);
  const [message, setMessage] = useState<{ type: 'success' | 'error'; text: string } | null>(null);
  const load = useCallback(async () => {
    setLevels(await get<Level[]>('/growth/agent-levels'));
    setAgents((await get<{ nodes: AgentNode[] }>('/growth/agents')).nodes);
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  const run = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      setMessage({ type: 'success', text: done });
      await load();
    } catch (e) {
      setMessage({ type: 'error', text: (e as Error).message });
    }
  };
  const levelOptions = levels.map((l) => ({ value: l.id, label: `${l.rank}. ${l.name}` }));
  const agentOptions = agents.map((a) => ({ value: a.id, label: `${a.name}（${a.level_name}）` }));
  return (
    <Space direction="vertical" style={{ width: '100%' }} size="large">
      {message && (
        <Alert type={message.type} message={message.text} closable onClose={() => setMessage(null)} />
      )}
      <Table<Level>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={levels}
        columns={[
          { title: tr('级别', 'Rank'), dataIndex: 'rank' },
          { title: tr('名称', 'Name'), dataIndex: 'name' },
          {
            title: tr('累计进货升级门槛', 'Upgrade at purchases of'),
            render: (_, l) => (l.upgrade_spend > 0 ? fen(l.upgrade_spend) : tr('手动', 'By hand')),
          },
        ]}
      />
      {isOwner && (
        <Form
          layout="inline"
          onFinish={(v: { name: string; rank: number; upgrade_yuan?: number }) =>
            run(
              () =>
                post('/growth/agent-levels', {
                  name: v.name,
                  rank: v.rank,
                  upgrade_spend: Math.round((v.upgrade_yuan ?? 0) * 100),
                }),
              tr('等级已添加', 'Level added'),
            )
          }
        >
          <Form.Item name="name" rules={[{ required: true }]}>
            <Input placeholder={tr('等级名称，如 总代', 'Level name')} />
          </Form.Item>
          <Form.Item name="rank" rules={[{ required: true }]}>
            <InputNumber min={1} max={20} placeholder={tr('级别（1 最高）', 'Rank (1 = top)')} />
          </Form.Item>
          <Form.Item name="upgrade_yuan">
            <InputNumber min={0} placeholder={tr('升级门槛（元）', 'Upgrade at (yuan)')} />
          </Form.Item>
          <Button htmlType="submit">{tr('添加等级', 'Add level')}</Button>
        </Form>
      )}
      {isOwner && levels.length > 0 && (
        <Form
          layout="inline"
          onFinish={(v: { level_id: string; sku_id: string; price_yuan: number }) =>
            run(
              () =>
                put(`/growth/agent-levels/${v.level_id}/prices`, {
                  prices: [{ sku_id: v.sku_id, price: Math.round(v.price_yuan * 100) }],
                }),
              tr('拿货价已保存', 'Wholesale price saved'),
            )
          }
        >
          <Form.Item name="level_id" rules={[{ required: true }]}>
            <Select style={{ width: 160 }} options={levelOptions} placeholder={tr('等级', 'Level')} />
          </Form.Item>
          <Form.Item name="sku_id" rules={[{ required: true }]}>
            <Input placeholder="sku_…" />
          </Form.Item>
          <Form.Item name="price_yuan" rules={[{ required: true }]}>
            <InputNumber min={0} placeholder={tr('拿货价（元）', 'Wholesale (yuan)')} />
          </Form.Item>
          <Button htmlType="submit">{tr('设拿货价', 'Set price')}</Button>
        </Form>
      )}
      <Typography.Title level={5}>{tr('代理树', 'Agent tree')}</Typography.Title>
      {agents.length > 0 ? (
        <Tree
          data-testid="agent-tree"
          defaultExpandAll
          selectable={false}
          treeData={nest(agents, (a) => (
            <span>
              {a.name} · {a.level_name} · {tr('库存', 'stock')} {a.stock} · {tr('累计进货', 'purchased')}{' '}
              {fen(a.purchased)}
            </span>
          ))}
        />
      ) : (
        <Typography.Text type="secondary">{tr('还没有代理', 'No agents yet')}</Typography.Text>
      )}
      {canEdit && levels.length > 0 && (
        <Form
          layout="inline"
          onFinish={(v: { name: string; phone?: string; level_id: string; parent_id?: string }) =>
            run(
              () => post('/growth/agents', { ...v, phone: v.phone ?? '', parent_id: v.parent_id ?? null }),
              tr('代理已添加', 'Agent added'),
            )
          }
        >
          <Form.Item name="name" rules={[{ required: true }]}>
            <Input placeholder={tr('代理姓名', 'Agent name')} />
          </Form.Item>
          <Form.Item name="phone">
            <Input placeholder={tr('手机', 'Phone')} />
          </Form.Item>
          <Form.Item name="level_id" rules={[{ required: true }]}>
            <Select style={{ width: 140 }} options={levelOptions} placeholder={tr('等级', 'Level')} />
          </Form.Item>
          <Form.Item name="parent_id">
            <Select
              allowClear
              style={{ width: 180 }}
              options={agentOptions}
              placeholder={tr('上级（空 = 总部）', 'Parent (none = merchant)')}
            />
          </Form.Item>
          <Button htmlType="submit">{tr('添加代理', 'Add agent')}</Button>
        </Form>
      )}
      {canEdit && agents.length > 0 && (
        <Form
          layout="inline"
          onFinish={(v: {
            agent_id: string;
            from: 'parent' | 'merchant';
            sku_id: string;
            quantity: number;
          }) =>
            run(
              () =>
                post(`/growth/agents/${v.agent_id}/stock-orders`, {
                  from: v.from,
                  items: [{ sku_id: v.sku_id, quantity: v.quantity }],
                }),
              tr('进货成功', 'Stock ordered'),
            )
          }
        >
          <Form.Item name="agent_id" rules={[{ required: true }]}>
            <Select style={{ width: 180 }} options={agentOptions} placeholder={tr('代理', 'Agent')} />
          </Form.Item>
          <Form.Item name="from" initialValue="parent">
            <Select
              style={{ width: 120 }}
              options={[
                { value: 'parent', label: tr('向上级', 'From parent') },
                { value: 'merchant', label: tr('向总部', 'From merchant') },
              ]}
            />
          </Form.Item>
          <Form.Item name="sku_id" rules={[{ required: true }]}>
            <Input placeholder="sku_…" />
          </Form.Item>
          <Form.Item name="quantity" rules={[{ required: true }]}>
            <InputNumber min={1} placeholder={tr('数量', 'Quantity')} />
          </Form.Item>
          <Button htmlType="submit">{tr('进货', 'Order stock')}</Button>
        </Form>
      )}
    </Space>
  );
}
