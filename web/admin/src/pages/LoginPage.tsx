import { Alert, Button, Card, Form, Input } from 'antd';
import { useState } from 'react';
import { post } from '../api.ts';
import { useT } from '../i18n.ts';

export function LoginPage({ onLogin }: { onLogin: () => void }) {
  const t = useT();
  const [error, setError] = useState<string | null>(null);
  return (
    <div
      style={{
        display: 'flex',
        justifyContent: 'center',
        paddingTop: 120,
        background: '#f5f5f5',
        minHeight: '100vh',
      }}
    >
      <Card title="微环 Weiloop · 商户后台" style={{ width: 380, height: 'fit-content' }}>
        {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
        <Form
          layout="vertical"
          onFinish={async (values: { email: string; password: string }) => {
            try {
              await post('/auth/login', values);
              onLogin();
            } catch (e) {
              setError((e as Error).message);
            }
          }}
        >
          <Form.Item name="email" label={t('邮箱')} rules={[{ required: true }]}>
            <Input autoComplete="username" />
          </Form.Item>
          <Form.Item name="password" label={t('密码')} rules={[{ required: true }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block>
            {t('登录')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
