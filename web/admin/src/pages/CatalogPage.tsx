import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Select,
  Space,
  Table,
  Tag,
  Upload,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Product {
  id: string;
  kind: 'goods' | 'deal';
  title: string;
  category: string;
  status: 'draft' | 'on_sale' | 'off_shelf';
  price: number;
  stock: number;
  sales: number;
  city: string | null;
  rating: number | null;
}

const STATUS: Record<Product['status'], { label: string; color: string }> = {
  draft: { label: '草稿', color: 'default' },
  on_sale: { label: '在售', color: 'green' },
  off_shelf: { label: '已下架', color: 'orange' },
};

export function CatalogPage() {
  const t = useT();
  const canEdit = useCanEdit();
  const { message } = AntApp.useApp();
  const [filter, setFilter] = useState<{ status?: string; kind?: string; q?: string }>({});
  const [products, setProducts] = useState<Product[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm();
  const load = useCallback(async () => {
    const query = new URLSearchParams({
      limit: '100',
      ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v)),
    });
    setProducts((await get<{ items: Product[] }>(`/products?${query}`)).items);
  }, [filter]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <Card
        title={t('商品')}
        style={{ marginBottom: 16 }}
        extra={
          <Space>
            <a href="/api/v1/products/export">{t('导出 CSV')}</a>
            <Upload
              disabled={!canEdit}
              accept=".csv,text/csv"
              showUploadList={false}
              beforeUpload={async (file) => {
                const hide = message.loading('导入中…', 0);
                const response = await fetch('/api/v1/products/import', {
                  method: 'POST',
                  headers: { 'content-type': 'text/csv' },
                  body: await file.text(),
                });
                hide();
                const result = (await response.json()) as {
                  created: number;
                  updated: number;
                  errors: Array<{ line: number; message: string }>;
                  error?: { message: string };
                };
                if (!response.ok) message.error(result.error?.message ?? '导入失败');
                else if (result.errors.length)
                  message.error(
                    `第 ${result.errors.map((e) => e.line).join('、')} 行有误：${result.errors[0]?.message}`,
                  );
                else message.success(`已导入：新增 ${result.created}，更新 ${result.updated}`);
                void load();
                return false;
              }}
            >
              <Button>{t('导入 CSV')}</Button>
            </Upload>
          </Space>
        }
      >
        <Space wrap style={{ marginBottom: 16 }}>
          <Select
            allowClear
            placeholder="状态"
            style={{ width: 120 }}
            options={Object.entries(STATUS).map(([value, s]) => ({ value, label: s.label }))}
            onChange={(status) => setFilter({ ...filter, status })}
          />
          <Select
            allowClear
            placeholder="类型"
            style={{ width: 120 }}
            options={[
              { value: 'goods', label: '商品' },
              { value: 'deal', label: '团购券' },
            ]}
            onChange={(kind) => setFilter({ ...filter, kind })}
          />
          <Input.Search
            placeholder="标题"
            allowClear
            onSearch={(q) => setFilter({ ...filter, q })}
            style={{ width: 200 }}
          />
        </Space>
        <Table<Product>
          rowKey="id"
          dataSource={products}
          pagination={{ pageSize: 20 }}
          columns={[
            { title: '标题', dataIndex: 'title' },
            { title: '类型', render: (_, p) => (p.kind === 'deal' ? `团购券 · ${p.city ?? ''}` : '商品') },
            { title: '分类', dataIndex: 'category' },
            { title: '价格', render: (_, p) => fen(p.price) },
            { title: '库存', dataIndex: 'stock' },
            { title: '销量', dataIndex: 'sales' },
            { title: '评分', render: (_, p) => p.rating ?? '—' },
            {
              title: '状态',
              render: (_, p) => <Tag color={STATUS[p.status].color}>{STATUS[p.status].label}</Tag>,
            },
            {
              title: '',
              render: (_, p) => (
                <Button
                  size="small"
                  onClick={async () => {
                    await fetch(`/api/v1/products/${p.id}`, {
                      method: 'PATCH',
                      headers: { 'content-type': 'application/json' },
                      body: JSON.stringify({ status: p.status === 'on_sale' ? 'off_shelf' : 'on_sale' }),
                    });
                    void load();
                  }}
                >
                  {p.status === 'on_sale' ? '下架' : '上架'}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      {canEdit && (
        <Card title={t('新建商品')}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 16 }} />}
          <Form
            form={form}
            layout="inline"
            initialValues={{ status: 'on_sale', stock: 10, kind: 'goods' }}
            onFinish={async (values) => {
              setError(null);
              try {
                await post('/products', {
                  title: values.title,
                  kind: values.kind,
                  ...(values.kind === 'deal'
                    ? { city: values.city, valid_until: Date.now() + (values.valid_days ?? 30) * 86_400_000 }
                    : {}),
                  category: values.category ?? '',
                  status: values.status,
                  skus: [{ spec: {}, price: Math.round(values.price * 100), stock: values.stock }],
                });
                form.resetFields(['title', 'price']);
                void load();
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Form.Item name="kind">
              <Select
                style={{ width: 100 }}
                options={[
                  { value: 'goods', label: '商品' },
                  { value: 'deal', label: '团购券' },
                ]}
              />
            </Form.Item>
            <Form.Item noStyle shouldUpdate>
              {() =>
                form.getFieldValue('kind') === 'deal' && (
                  <>
                    <Form.Item name="city" rules={[{ required: true }]}>
                      <Input placeholder="城市，如 南京" style={{ width: 120 }} />
                    </Form.Item>
                    <Form.Item name="valid_days">
                      <InputNumber min={1} max={365} placeholder="有效天数" />
                    </Form.Item>
                  </>
                )
              }
            </Form.Item>
            <Form.Item name="title" rules={[{ required: true }]}>
              <Input placeholder="商品标题" aria-label="product-title" />
            </Form.Item>
            <Form.Item name="category">
              <Input placeholder="分类，如 女装/连衣裙" />
            </Form.Item>
            <Form.Item name="price" rules={[{ required: true }]}>
              <InputNumber min={0} step={0.01} placeholder="价格（元）" aria-label="product-price" />
            </Form.Item>
            <Form.Item name="stock">
              <InputNumber min={0} placeholder="库存" />
            </Form.Item>
            <Form.Item name="status">
              <Select
                style={{ width: 100 }}
                options={Object.entries(STATUS).map(([value, s]) => ({ value, label: s.label }))}
              />
            </Form.Item>
            <Button type="primary" htmlType="submit">
              {t('新建商品')}
            </Button>
          </Form>
        </Card>
      )}
    </>
  );
}
