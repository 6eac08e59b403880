import { Alert, Button, Form, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { get, put } from '../api.ts';
import { useTr } from './distText.ts';

interface Settings {
  enabled: boolean;
  join_mode: 'open' | 'apply' | 'package';
  package_product_id: string | null;
  levels: number;
  binding_days: number;
  rebind_after_expiry: boolean;
  refund_window_days: number;
  default_kind: 'percent' | 'fixed';
  default_level1: number;
  default_level2: number;
  min_withdrawal: number;
  burst_buyers: number;
  burst_minutes: number;
}

/** The owner's distribution settings: joining, levels, rates, binding, refund window, withdrawal floor, flags. */
export function SettingsForm({ isOwner }: { isOwner: boolean }) {
  const tr = useTr();
  const [form] = Form.useForm<Settings>();
  const [saved, setSaved] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const kind = Form.useWatch('default_kind', form);
  useEffect(() => {
    void (async () => form.setFieldsValue(await get<Settings>('/growth/distribution/settings')))();
  }, [form]);
  const save = async (values: Settings) => {
    setError(null);
    try {
      await put('/growth/distribution/settings', values);
      setSaved(tr('已保存', 'Saved'));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const unit =
    kind === 'percent'
      ? tr('（万分比，1000 = 10%）', '(basis points, 1000 = 10 %)')
      : tr('（分/件）', '(fen per unit)');
  return (
    <Form form={form} layout="vertical" style={{ maxWidth: 560 }} onFinish={save} disabled={!isOwner}>
      {saved && <Alert type="success" message={saved} style={{ marginBottom: 12 }} />}
      {error && <Alert type="error" message={error} style={{ marginBottom: 12 }} />}
      <Form.Item name="enabled" label={tr('开启分销', 'Distribution on')} valuePropName="checked">
        <Switch />
      </Form.Item>
      <Form.Item name="join_mode" label={tr('成为分销员', 'Joining')}>
        <Select
          options={[
            { value: 'open', label: tr('开放加入', 'Open') },
            { value: 'apply', label: tr('申请后店主审核', 'Apply, owner approves') },
            { value: 'package', label: tr('购买礼包', 'By buying a package') },
          ]}
        />
      </Form.Item>
      <Form.Item name="package_product_id" label={tr('礼包商品 ID', 'Package product ID')}>
        <Input placeholder="prd_…" allowClear />
      </Form.Item>
      <Form.Item name="levels" label={tr('分佣层级（最多两级）', 'Levels (two at most)')}>
        <Select
          options={[
            { value: 1, label: tr('一级', 'One') },
            { value: 2, label: tr('两级', 'Two') },
          ]}
        />
      </Form.Item>
      <Space wrap>
        <Form.Item name="default_kind" label={tr('默认佣金方式', 'Default commission')}>
          <Select
            style={{ width: 160 }}
            options={[
              { value: 'percent', label: tr('按比例', 'Percent') },
              { value: 'fixed', label: tr('固定金额', 'Fixed') },
            ]}
          />
        </Form.Item>
        <Form.Item name="default_level1" label={`${tr('一级', 'Level 1')} ${unit}`}>
          <InputNumber min={0} />
        </Form.Item>
        <Form.Item name="default_level2" label={`${tr('二级', 'Level 2')} ${unit}`}>
          <InputNumber min={0} />
        </Form.Item>
      </Space>
      <Space wrap>
        <Form.Item
          name="binding_days"
          label={tr('绑定有效期（天，0 = 永久）', 'Binding lasts (days, 0 = for good)')}
        >
          <InputNumber min={0} />
        </Form.Item>
        <Form.Item
          name="rebind_after_expiry"
          label={tr('过期后可重新绑定', 'Rebind after it lapses')}
          valuePropName="checked"
        >
          <Switch />
        </Form.Item>
        <Form.Item name="refund_window_days" label={tr('退款期（天，期满结算）', 'Refund window (days)')}>
          <InputNumber min={0} max={90} />
        </Form.Item>
      </Space>
      <Space wrap>
        <Form.Item name="min_withdrawal" label={tr('最低提现（分）', 'Minimum withdrawal (fen)')}>
          <InputNumber min={10} />
        </Form.Item>
        <Form.Item name="burst_buyers" label={tr('异常：买家数', 'Flag: buyers')}>
          <InputNumber min={0} />
        </Form.Item>
        <Form.Item name="burst_minutes" label={tr('异常：分钟内', 'Flag: within minutes')}>
          <InputNumber min={1} />
        </Form.Item>
      </Space>
      <Typography.Paragraph type="secondary">
        {tr(
          '佣金按实付金额（优惠后、不含运费）计算；同一买家只绑定第一个推荐人；自己购买不计佣金；退款期内退款的佣金自动冲回。',
          'Commissions are on the amount paid after discounts, shipping excluded; a buyer binds to the first referrer; nobody earns on their own purchase; refunds within the window reverse the commission.',
        )}
      </Typography.Paragraph>
      {isOwner && (
        <Button type="primary" htmlType="submit">
          {tr('保存', 'Save')}
        </Button>
      )}
    </Form>
  );
}
