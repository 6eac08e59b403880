import { Alert, Button, Card, Form, Input, InputNumber, Space, Table } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { get, post } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Store {
  id: string;
  name: string;
  city: string;
  address: string;
  latitude: number;
  longitude: number;
  opens_at: string;
  closes_at: string;
  distance_m?: number;
  open_now?: boolean;
}

export function StoresPage() {
  const t = useT();
  const canEdit = useCanEdit();
  const [stores, setStores] = useState<Store[]>([]);
  const [nearest, setNearest] = useState<Store[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    async () => setStores((await get<{ items: Store[] }>('/stores?limit=200')).items),
    [],
  );
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <>
      <Card title={t('门店')} style={{ marginBottom: 16 }}>
        <Table<Store>
          rowKey="id"
          dataSource={stores}
          pagination={{ pageSize: 20 }}
          columns={[
            { title: '门店', dataIndex: 'name' },
            { title: '城市', dataIndex: 'city' },
            { title: '地址', dataIndex: 'address' },
            { title: '坐标', render: (_, s) => `${s.latitude.toFixed(4)}, ${s.longitude.toFixed(4)}` },
            { title: '营业时间', render: (_, s) => `${s.opens_at}–${s.closes_at}` },
          ]}
        />
      </Card>
      <Card title="距离检查：粉丝在这里，会收到哪些门店？" style={{ marginBottom: 16 }}>
        <Form
          layout="inline"
          initialValues={{ lat: 32.0417, lng: 118.7843 }}
          onFinish={async (values) =>
            setNearest(await get<Store[]>(`/stores/nearest?lat=${values.lat}&lng=${values.lng}&limit=5`))
          }
        >
          <Form.Item name="lat" label="纬度">
            <InputNumber step={0.0001} aria-label="lat" />
          </Form.Item>
          <Form.Item name="lng" label="经度">
            <InputNumber step={0.0001} aria-label="lng" />
          </Form.Item>
          <Button htmlType="submit">查询最近门店</Button>
        </Form>
        {nearest && (
          <ol style={{ marginTop: 12 }} id="nearest">
            {nearest.map((s) => (
              <li key={s.id}>
                {s.name} ·{' '}
                {s.distance_m !== undefined && s.distance_m < 1000
                  ? `${s.distance_m} 米`
                  : `${((s.distance_m ?? 0) / 1000).toFixed(1)} 公里`}{' '}
                · {s.open_now ? '营业中' : '已打烊'}
              </li>
            ))}
          </ol>
        )}
      </Card>
      {canEdit && (
        <Card title={t('新建门店')}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            layout="inline"
            onFinish={async (values) => {
              setError(null);
              try {
                await post('/stores', values);
                void load();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Space wrap>
              <Form.Item name="name" rules={[{ required: true }]}>
                <Input placeholder="门店名称" />
              </Form.Item>
              <Form.Item name="city" rules={[{ required: true }]}>
                <Input placeholder="城市" />
              </Form.Item>
              <Form.Item name="address" rules={[{ required: true }]}>
                <Input placeholder="地址" />
              </Form.Item>
              <Form.Item name="latitude" rules={[{ required: true }]}>
                <InputNumber placeholder="纬度" step={0.0001} />
              </Form.Item>
              <Form.Item name="longitude" rules={[{ required: true }]}>
                <InputNumber placeholder="经度" step={0.0001} />
              </Form.Item>
              <Button type="primary" htmlType="submit">
                {t('新建门店')}
              </Button>
            </Space>
          </Form>
        </Card>
      )}
    </>
  );
}
