import { Alert, Button, Form, Input, Select, Space, Table, Tag } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, api, get, post, time } from '../api.ts';
import { useCanEdit } from '../i18n.ts';
import { useTr } from './crmText.ts';

interface ArticleSummary {
  id: string;
  title: string;
  summary: string;
  access: 'free' | 'members';
  status: 'draft' | 'published';
  column_name: string;
  keyword: string | null;
  account_id: string | null;
  published_at: number | null;
  updated_at: number;
}
interface Draft {
  id?: string;
  title: string;
  summary: string;
  cover_url: string;
  body: string;
  access: 'free' | 'members';
  status: 'draft' | 'published';
  column_name: string;
  keyword: string;
  account_id: string | null;
}
const EMPTY: Draft = {
  title: '',
  summary: '',
  cover_url: '',
  body: '',
  access: 'free',
  status: 'draft',
  column_name: '',
  keyword: '',
  account_id: null,
};

/** The merchant's articles: rich text (HTML, cleaned by the server), product cards, keyword and menu replies. */
export function CommunityArticles({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  const canEdit = useCanEdit();
  const [articles, setArticles] = useState<ArticleSummary[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  // The body as the server cleaned and stored it: the only HTML this page ever renders.
  const [saved, setSaved] = useState<string | null>(null);
  const [productId, setProductId] = useState('');
  const [message, setMessage] = useState<{ type: 'success' | 'error'; text: string } | null>(null);
  const [menu, setMenu] = useState({
    account_id: accounts[0]?.id ?? '',
    menu_key: '',
    column_name: '',
    title: '',
  });
  const load = useCallback(async () => setArticles(await get<ArticleSummary[]>('/community/articles')), []);
  useEffect(() => {
    void load();
  }, [load]);

  const open = async (id?: string) => {
    setMessage(null);
    setSaved(null);
    if (!id) return setDraft({ ...EMPTY, account_id: accounts[0]?.id ?? null });
    const a = await get<Draft & { keyword: string | null }>(`/community/articles/${id}`);
    setDraft({ ...a, keyword: a.keyword ?? '' });
    setSaved(a.body);
  };
  const save = async () => {
    if (!draft) return;
    const { id, ...body } = draft;
    try {
      const saved = await api<Draft>(
        id ? 'PUT' : 'POST',
        id ? `/community/articles/${id}` : '/community/articles',
        {
          ...body,
          keyword: body.keyword.trim() || null,
          account_id: body.keyword.trim() ? body.account_id : null,
        },
      );
      setDraft({ ...saved, keyword: saved.keyword ?? '' });
      setSaved(saved.body);
      setMessage({
        type: 'success',
        text: tr('已保存（正文已按白名单清洗）', 'Saved (the body was cleaned by the allow-list)'),
      });
      await load();
    } catch (error) {
      setMessage({ type: 'error', text: (error as Error).message });
    }
  };
  const addMenu = async () => {
    try {
      await post('/community/list-replies', menu);
      setMessage({
        type: 'success',
        text: tr(
          `已设置：菜单键 ${menu.menu_key} 回复文章列表`,
          `Menu key ${menu.menu_key} now answers with the list`,
        ),
      });
    } catch (error) {
      setMessage({ type: 'error', text: (error as Error).message });
    }
  };

  if (draft) {
    const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });
    return (
      <Form layout="vertical" disabled={!canEdit} style={{ maxWidth: 860 }}>
        {message && (
          <Alert type={message.type} showIcon message={message.text} style={{ marginBottom: 12 }} />
        )}
        <Form.Item label={tr('标题', 'Title')}>
          <Input
            value={draft.title}
            maxLength={64}
            onChange={(e) => set({ title: e.target.value })}
            data-testid="article-title"
          />
        </Form.Item>
        <Space wrap>
          <Form.Item label={tr('阅读权限', 'Who may read')}>
            <Select
              style={{ width: 160 }}
              value={draft.access}
              onChange={(access) => set({ access })}
              options={[
                { value: 'free', label: tr('所有人', 'Everyone') },
                { value: 'members', label: tr('仅付费会员', 'Paid members only') },
              ]}
            />
          </Form.Item>
          <Form.Item label={tr('状态', 'Status')}>
            <Select
              style={{ width: 120 }}
              value={draft.status}
              onChange={(status) => set({ status })}
              options={[
                { value: 'draft', label: tr('草稿', 'Draft') },
                { value: 'published', label: tr('已发布', 'Published') },
              ]}
            />
          </Form.Item>
          <Form.Item label={tr('栏目', 'Column')}>
            <Input
              value={draft.column_name}
              maxLength={20}
              onChange={(e) => set({ column_name: e.target.value })}
            />
          </Form.Item>
          <Form.Item label={tr('回复关键词', 'Keyword reply')}>
            <Input value={draft.keyword} maxLength={30} onChange={(e) => set({ keyword: e.target.value })} />
          </Form.Item>
          <Form.Item label={tr('公众号', 'Account')}>
            <Select
              style={{ width: 180 }}
              value={draft.account_id ?? undefined}
              onChange={(account_id) => set({ account_id })}
              options={accounts.map((a) => ({ value: a.id, label: a.name }))}
            />
          </Form.Item>
        </Space>
        <Form.Item label={tr('摘要', 'Summary')}>
          <Input value={draft.summary} maxLength={120} onChange={(e) => set({ summary: e.target.value })} />
        </Form.Item>
        <Form.Item label={tr('封面图地址', 'Cover image URL')}>
          <Input
            value={draft.cover_url}
            maxLength={500}
            onChange={(e) => set({ cover_url: e.target.value })}
          />
        </Form.Item>
        <Form.Item
          label={tr(
            '正文（HTML：段落、标题、加粗、图片、链接）',
            'Body (HTML: paragraphs, headings, bold, images, links)',
          )}
        >
          <Input.TextArea
            rows={12}
            value={draft.body}
            onChange={(e) => set({ body: e.target.value })}
            data-testid="article-body"
          />
        </Form.Item>
        <Space style={{ marginBottom: 16 }}>
          <Input
            placeholder={tr('商品 ID', 'Product ID')}
            value={productId}
            onChange={(e) => setProductId(e.target.value.trim())}
          />
          <Button
            onClick={() => {
              if (productId)
                set({ body: `${draft.body}\n<product-card data-product-id="${productId}"></product-card>` });
            }}
          >
            {tr('插入商品卡片', 'Insert a product card')}
          </Button>
        </Space>
        <Space>
          <Button type="primary" onClick={save}>
            {tr('保存', 'Save')}
          </Button>
          <Button onClick={() => setDraft(null)}>{tr('返回列表', 'Back to the list')}</Button>
        </Space>
        {saved !== null && (
          <div
            style={{ marginTop: 16, border: '1px solid #eee', borderRadius: 8, padding: 12, maxWidth: 390 }}
          >
            <b>
              {tr(
                '预览（已清洗，商品卡片在手机上显示）',
                'Preview (cleaned; product cards show on the phone)',
              )}
            </b>
            {/* biome-ignore lint/security/noDangerouslySetInnerHtml: the server rebuilt this HTML from its allow-list */}
            <div data-testid="article-preview" dangerouslySetInnerHTML={{ __html: saved }} />
          </div>
        )}
      </Form>
    );
  }
  return (
    <>
      {message && <Alert type={message.type} showIcon message={message.text} style={{ marginBottom: 12 }} />}
      {canEdit && (
        <Button type="primary" onClick={() => open()} style={{ marginBottom: 12 }}>
          {tr('写文章', 'New article')}
        </Button>
      )}
      <Table
        rowKey="id"
        size="small"
        dataSource={articles}
        pagination={{ pageSize: 20 }}
        columns={[
          {
            title: tr('标题', 'Title'),
            dataIndex: 'title',
            render: (v, a) => (
              <Button type="link" size="small" onClick={() => open(a.id)}>
                {v}
              </Button>
            ),
          },
          { title: tr('栏目', 'Column'), dataIndex: 'column_name' },
          {
            title: tr('阅读权限', 'Who may read'),
            dataIndex: 'access',
            render: (v) =>
              v === 'members' ? <Tag color="gold">{tr('会员', 'Members')}</Tag> : tr('所有人', 'Everyone'),
          },
          {
            title: tr('状态', 'Status'),
            dataIndex: 'status',
            render: (v) =>
              v === 'published' ? <Tag color="green">{tr('已发布', 'Published')}</Tag> : tr('草稿', 'Draft'),
          },
          { title: tr('回复关键词', 'Keyword reply'), dataIndex: 'keyword' },
          { title: tr('发布时间', 'Published'), dataIndex: 'published_at', render: time },
        ]}
      />
      {canEdit && accounts.length > 0 && (
        <Space wrap style={{ marginTop: 16 }}>
          <b>{tr('菜单点击回复文章列表', 'A menu click answers with an article list')}</b>
          <Select
            style={{ width: 160 }}
            value={menu.account_id}
            onChange={(account_id) => setMenu({ ...menu, account_id })}
            options={accounts.map((a) => ({ value: a.id, label: a.name }))}
          />
          <Input
            placeholder={tr('菜单键（如 NEW_THIS_WEEK）', 'Menu key (e.g. NEW_THIS_WEEK)')}
            value={menu.menu_key}
            onChange={(e) => setMenu({ ...menu, menu_key: e.target.value.trim() })}
          />
          <Input
            placeholder={tr('栏目（空为全部）', 'Column (empty: all)')}
            value={menu.column_name}
            onChange={(e) => setMenu({ ...menu, column_name: e.target.value })}
          />
          <Input
            placeholder={tr('卡片标题', 'Card title')}
            value={menu.title}
            onChange={(e) => setMenu({ ...menu, title: e.target.value })}
          />
          <Button onClick={addMenu}>{tr('设置', 'Set')}</Button>
        </Space>
      )}
    </>
  );
}
