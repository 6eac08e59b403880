import { Alert, App as AntApp, Button, Card, Form, Input, Select, Switch, Table, Tag } from 'antd';
import { useState } from 'react';
import { type Account, post } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

export function AccountsPage({ accounts, onChange }: { accounts: Account[]; onChange: () => void }) {
  const t = useT();
  const canEdit = useCanEdit();
  const { message } = AntApp.useApp();
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm();
  return (
    <>
      <Card title={t('公众号')} style={{ marginBottom: 16 }}>
        <Table<Account>
          rowKey="id"
          dataSource={accounts}
          pagination={false}
          columns={[
            { title: '名称', dataIndex: 'name' },
            { title: 'AppID', dataIndex: 'appid' },
            {
              title: '类型',
              render: (_, a) => (
                <Tag>
                  {a.type === 'service' ? '服务号' : '订阅号'}
                  {a.verified ? ' · 已认证' : ''}
                </Tag>
              ),
            },
            { title: '模式', dataIndex: 'mode' },
            {
              title: '服务器地址(URL)',
              dataIndex: 'callback_url',
              render: (url: string) => <Input readOnly value={url} size="small" />,
            },
            {
              title: '',
              render: (_, a) => (
                <Button
                  size="small"
                  onClick={async () => {
                    const result = await post<{ ok: boolean; status: number }>(
                      `/accounts/${a.id}/verify-callback`,
                    );
                    if (result.ok) message.success('Token 验证成功');
                    else message.error(`Token 验证失败（HTTP ${result.status}）`);
                  }}
                >
                  {t('校验服务器地址')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      {canEdit && (
        <Card title={t('接入公众号')}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            form={form}
            layout="vertical"
            initialValues={{ type: 'service', mode: 'safe', verified: true }}
            onFinish={async (values) => {
              setError(null);
              try {
                await post('/accounts', {
                  ...values,
                  aes_key: values.mode === 'plain' ? undefined : values.aes_key,
                });
                message.success('已接入，请把服务器地址和 Token 填到微信公众平台');
                form.resetFields();
                onChange();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
            style={{ maxWidth: 520 }}
          >
            <Form.Item name="name" label="名称" rules={[{ required: true }]}>
              <Input />
            </Form.Item>
            <Form.Item name="appid" label="AppID" rules={[{ required: true }]}>
              <Input />
            </Form.Item>
            <Form.Item name="secret" label="AppSecret" rules={[{ required: true, min: 8 }]}>
              <Input.Password />
            </Form.Item>
            <Form.Item name="type" label="类型">
              <Select
                options={[
                  { value: 'service', label: '服务号' },
                  { value: 'subscription', label: '订阅号' },
                ]}
              />
            </Form.Item>
            <Form.Item name="verified" label="已认证" valuePropName="checked">
              <Switch />
            </Form.Item>
            <Form.Item
              name="token"
              label="Token"
              rules={[
                { required: true, pattern: /^[A-Za-z0-9]{3,32}$/, message: 'Token 为 3–32 位英文或数字' },
              ]}
            >
              <Input />
            </Form.Item>
            <Form.Item name="mode" label="消息加解密方式">
              <Select
                options={[
                  { value: 'plain', label: '明文模式' },
                  { value: 'compatible', label: '兼容模式' },
                  { value: 'safe', label: '安全模式（推荐）' },
                ]}
              />
            </Form.Item>
            <Form.Item noStyle shouldUpdate>
              {() =>
                form.getFieldValue('mode') !== 'plain' && (
                  <Form.Item name="aes_key" label="EncodingAESKey" rules={[{ required: true, len: 43 }]}>
                    <Input />
                  </Form.Item>
                )
              }
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('接入公众号')}
            </Button>
          </Form>
        </Card>
      )}
    </>
  );
}
