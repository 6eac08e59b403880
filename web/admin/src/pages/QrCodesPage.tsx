import { Alert, Button, Card, Form, Input, InputNumber, Switch, Table } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, get, post, time } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface QrCode {
  id: string;
  name: string;
  permanent: boolean;
  image_url: string;
  expires_at: number | null;
  followers: number;
  scans: number;
  created_at: number;
}

export function QrCodesPage({ account }: { account: Account }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [codes, setCodes] = useState<QrCode[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    () => get<QrCode[]>(`/qrcodes?account_id=${account.id}`).then(setCodes),
    [account.id],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <>
      <Card title={`${t('渠道二维码')} · ${account.name}`} style={{ marginBottom: 16 }}>
        <Table<QrCode>
          rowKey="id"
          dataSource={codes}
          pagination={false}
          columns={[
            { title: '渠道', dataIndex: 'name' },
            { title: '类型', render: (_, c) => (c.permanent ? '永久' : `临时（至 ${time(c.expires_at)}）`) },
            { title: '带来粉丝', dataIndex: 'followers' },
            { title: '扫码次数', dataIndex: 'scans' },
            {
              title: '二维码',
              render: (_, c) => (
                <a href={c.image_url} download={`${c.name}.svg`} target="_blank" rel="noreferrer">
                  {t('下载')}
                </a>
              ),
            },
          ]}
        />
      </Card>
      {canEdit && (
        <Card title={t('新建二维码')}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            layout="inline"
            initialValues={{ permanent: true, expire_days: 30 }}
            onFinish={async (values) => {
              setError(null);
              try {
                await post('/qrcodes', {
                  account_id: account.id,
                  name: values.name,
                  permanent: values.permanent,
                  ...(values.permanent ? {} : { expire_days: values.expire_days }),
                });
                void load();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Form.Item name="name" rules={[{ required: true }]}>
              <Input placeholder="渠道名称，如 门店收银台" aria-label="qr-name" />
            </Form.Item>
            <Form.Item name="permanent" label="永久" valuePropName="checked">
              <Switch />
            </Form.Item>
            <Form.Item name="expire_days" label="有效天数">
              <InputNumber min={1} max={30} />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('新建二维码')}
            </Button>
          </Form>
        </Card>
      )}
    </>
  );
}
