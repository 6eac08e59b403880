import {
  Alert,
  Button,
  Card,
  DatePicker,
  Form,
  Input,
  InputNumber,
  Select,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, get, post, time } from '../api.ts';
import { useCanEdit } from '../i18n.ts';
import { useTr } from './crmText.ts';
import { epoch, shopLink, useCoupons } from './growthShared.ts';

interface ShareCampaign {
  id: string;
  name: string;
  share_title: string;
  required_opens: number;
  coupon_campaign_id: string;
  status: 'active' | 'ended';
  ends_at: number;
  shares: number;
  unlocked: number;
}
interface Share {
  id: string;
  openid: string;
  opens: number;
  unlocked_at: number | null;
  coupon_id: string | null;
}
function Shares({ campaign }: { campaign: ShareCampaign }) {
  const tr = useTr();
  const [rows, setRows] = useState<Share[]>([]);
  useEffect(() => {
    void get<Share[]>(`/growth/share-campaigns/${campaign.id}/shares`).then(setRows);
  }, [campaign.id]);
  return (
    <Table<Share>
      rowKey="id"
      size="small"
      dataSource={rows}
      pagination={{ pageSize: 20 }}
      columns={[
        { title: tr('分享者', 'Sharer'), dataIndex: 'openid' },
        {
          title: tr('好友打开', 'Friends opened'),
          render: (_, s) => `${s.opens} / ${campaign.required_opens}`,
        },
        {
          title: tr('状态', 'Status'),
          render: (_, s) =>
            s.unlocked_at ? (
              <Tag color="green">
                {s.coupon_id ? tr('券已发放', 'Coupon issued') : tr('已解锁', 'Unlocked')}
              </Tag>
            ) : (
              <Tag>{tr('进行中', 'In progress')}</Tag>
            ),
        },
      ]}
    />
  );
}

/** Share-to-unlock: forward a product page, N distinct friends open it, the sharer gets a coupon. */
export function ShareCampaignsCard({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  const canEdit = useCanEdit();
  const coupons = useCoupons();
  const [rows, setRows] = useState<ShareCampaign[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => setRows(await get<ShareCampaign[]>('/growth/share-campaigns')), []);
  useEffect(() => {
    void load();
  }, [load]);
  const account = accounts[0];
  const create = async (v: Record<string, unknown>) => {
    setError(null);
    try {
      await post('/growth/share-campaigns', {
        account_id: account?.id,
        name: v.name,
        share_title: v.share_title,
        share_desc: v.share_desc ?? '',
        product_id: v.product_id || null,
        required_opens: v.required_opens,
        coupon_campaign_id: v.coupon_campaign_id,
        ends_at: epoch(v.ends_at),
      });
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <Card title={tr('分享有礼', 'Share to unlock')} style={{ marginBottom: 16 }}>
      {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
      <Table<ShareCampaign>
        rowKey="id"
        dataSource={rows}
        expandable={{ expandedRowRender: (c) => <Shares campaign={c} /> }}
        columns={[
          { title: tr('名称', 'Name'), dataIndex: 'name' },
          { title: tr('分享标题', 'Share title'), dataIndex: 'share_title' },
          { title: tr('需好友打开', 'Friends needed'), dataIndex: 'required_opens' },
          {
            title: tr('奖励券', 'Coupon'),
            render: (_, c) =>
              coupons.find((x) => x.id === c.coupon_campaign_id)?.name ?? c.coupon_campaign_id,
          },
          { title: tr('分享人数', 'Sharers'), dataIndex: 'shares' },
          { title: tr('已解锁', 'Unlocked'), dataIndex: 'unlocked' },
          { title: tr('结束', 'Ends'), render: (_, c) => time(c.ends_at) },
          {
            title: tr('活动页', 'Page'),
            render: (_, c) => (
              <Typography.Text copyable style={{ wordBreak: 'break-all' }}>
                {shopLink(account?.appid, `/share/${c.id}`)}
              </Typography.Text>
            ),
          },
          {
            title: tr('状态', 'Status'),
            render: (_, c) => (
              <Tag color={c.status === 'active' ? 'green' : 'default'}>
                {c.status === 'active' ? tr('进行中', 'Active') : tr('已结束', 'Ended')}
              </Tag>
            ),
          },
        ]}
      />
      {canEdit && account && (
        <Form
          layout="inline"
          style={{ marginTop: 16, rowGap: 8 }}
          initialValues={{ required_opens: 3 }}
          onFinish={create}
        >
          <Form.Item name="name" rules={[{ required: true }]}>
            <Input placeholder={tr('名称', 'Name')} maxLength={40} />
          </Form.Item>
          <Form.Item name="share_title" rules={[{ required: true }]}>
            <Input placeholder={tr('分享卡片标题', 'Share card title')} maxLength={60} />
          </Form.Item>
          <Form.Item name="share_desc">
            <Input placeholder={tr('分享卡片描述', 'Share card text')} maxLength={120} />
          </Form.Item>
          <Form.Item name="product_id">
            <Input placeholder={tr('商品 ID（可选）', 'Product ID (optional)')} />
          </Form.Item>
          <Form.Item name="required_opens" label={tr('需好友打开', 'Friends needed')}>
            <InputNumber min={1} max={100} />
          </Form.Item>
          <Form.Item name="coupon_campaign_id" rules={[{ required: true }]}>
            <Select
              style={{ width: 180 }}
              placeholder={tr('奖励券', 'Coupon')}
              options={coupons.map((c) => ({ value: c.id, label: c.name }))}
            />
          </Form.Item>
          <Form.Item name="ends_at" rules={[{ required: true }]}>
            <DatePicker showTime placeholder={tr('结束时间', 'Ends at')} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {tr('创建', 'Create')}
          </Button>
        </Form>
      )}
    </Card>
  );
}
