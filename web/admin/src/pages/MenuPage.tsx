import { Alert, App as AntApp, Button, Card, Col, Input, Row, Select, Space, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { type Account, get, post, put } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';

interface Leaf {
  type: string;
  name: string;
  key?: string;
  url?: string;
}
interface Button_ extends Partial<Leaf> {
  name: string;
  sub_button?: Leaf[];
}
interface Menu {
  buttons: Button_[];
  published_at: number | null;
}

const bytes = (s: string) => new TextEncoder().encode(s).length;
const TYPES = [
  { value: 'click', label: '点击（回复）' },
  { value: 'view', label: '跳转网页' },
  { value: 'location_select', label: '发送位置' },
  { value: 'scancode_push', label: '扫码' },
];

/** WeChat's limits, shown while typing: the server checks them again. */
function problems(buttons: Button_[]): string[] {
  const out: string[] = [];
  if (buttons.length > 3) out.push('一级菜单最多 3 个');
  buttons.forEach((b, i) => {
    if (bytes(b.name) > 16) out.push(`第 ${i + 1} 个菜单名称超过 16 字节`);
    if ((b.sub_button?.length ?? 0) > 5) out.push(`第 ${i + 1} 个菜单的子菜单最多 5 个`);
    for (const s of b.sub_button ?? [])
      if (bytes(s.name) > 60) out.push(`子菜单「${s.name}」名称超过 60 字节`);
  });
  return out;
}

function LeafEditor({ value, onChange }: { value: Partial<Leaf>; onChange: (v: Partial<Leaf>) => void }) {
  return (
    <Space wrap>
      <Select
        style={{ width: 130 }}
        value={value.type}
        options={TYPES}
        onChange={(type) => onChange({ ...value, type })}
      />
      {value.type === 'view' ? (
        <Input
          placeholder="https://…"
          value={value.url}
          onChange={(e) => onChange({ ...value, url: e.target.value })}
        />
      ) : (
        <Input
          placeholder="key"
          value={value.key}
          onChange={(e) => onChange({ ...value, key: e.target.value })}
        />
      )}
    </Space>
  );
}

export function MenuPage({ account }: { account: Account }) {
  const t = useT();
  const canEdit = useCanEdit();
  const { message } = AntApp.useApp();
  const [menu, setMenu] = useState<Menu>({ buttons: [], published_at: null });
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<Menu>(`/accounts/${account.id}/menu`).then(setMenu);
  }, [account.id]);
  const buttons = menu.buttons;
  const set = (next: Button_[]) => setMenu({ ...menu, buttons: next });
  const issues = problems(buttons);

  return (
    <Row gutter={16}>
      <Col span={15}>
        <Card title={`${t('自定义菜单')} · ${account.name}`}>
          {error && <Alert type="error" title={error} style={{ marginBottom: 12 }} />}
          {issues.map((p) => (
            <Alert key={p} type="warning" title={p} style={{ marginBottom: 8 }} />
          ))}
          {buttons.map((button, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: menu buttons are positional, as WeChat numbers them
            <Card key={i} size="small" style={{ marginBottom: 12 }}>
              <Space wrap>
                <Input
                  aria-label={`menu-${i}-name`}
                  value={button.name}
                  onChange={(e) => set(buttons.map((b, j) => (j === i ? { ...b, name: e.target.value } : b)))}
                />
                {!button.sub_button?.length && (
                  <LeafEditor
                    value={button}
                    onChange={(v) => set(buttons.map((b, j) => (j === i ? { ...b, ...v } : b)))}
                  />
                )}
                <Button
                  size="small"
                  onClick={() =>
                    set(
                      buttons.map((b, j) =>
                        j === i
                          ? {
                              name: b.name,
                              sub_button: [
                                ...(b.sub_button ?? []),
                                { type: 'click', name: '子菜单', key: `K${Date.now()}` },
                              ],
                            }
                          : b,
                      ),
                    )
                  }
                >
                  + 子菜单
                </Button>
                <Button size="small" danger onClick={() => set(buttons.filter((_, j) => j !== i))}>
                  删除
                </Button>
              </Space>
              {button.sub_button?.map((sub, k) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: menu buttons are positional, as WeChat numbers them
                <Space key={k} wrap style={{ display: 'flex', marginTop: 8, marginLeft: 24 }}>
                  <Input
                    value={sub.name}
                    onChange={(e) =>
                      set(
                        buttons.map((b, j) =>
                          j === i
                            ? {
                                ...b,
                                sub_button: b.sub_button?.map((s, m) =>
                                  m === k ? { ...s, name: e.target.value } : s,
                                ),
                              }
                            : b,
                        ),
                      )
                    }
                  />
                  <LeafEditor
                    value={sub}
                    onChange={(v) =>
                      set(
                        buttons.map((b, j) =>
                          j === i
                            ? {
                                ...b,
                                sub_button: b.sub_button?.map((s, m) =>
                                  m === k ? ({ ...s, ...v } as Leaf) : s,
                                ),
                              }
                            : b,
                        ),
                      )
                    }
                  />
                  <Button
                    size="small"
                    danger
                    onClick={() =>
                      set(
                        buttons.map((b, j) =>
                          j === i ? { ...b, sub_button: b.sub_button?.filter((_, m) => m !== k) } : b,
                        ),
                      )
                    }
                  >
                    删除
                  </Button>
                </Space>
              ))}
            </Card>
          ))}
          <Space>
            <Button
              disabled={buttons.length >= 3}
              onClick={() =>
                set([...buttons, { type: 'click', name: '新菜单', key: `MENU_${buttons.length + 1}` }])
              }
            >
              + 一级菜单
            </Button>
            <Button
              disabled={!canEdit}
              onClick={async () => {
                setError(null);
                try {
                  setMenu(await put<Menu>(`/accounts/${account.id}/menu`, { buttons }));
                  message.success('草稿已保存');
                } catch (e) {
                  setError((e as Error).message);
                }
              }}
            >
              {t('保存草稿')}
            </Button>
            <Button
              type="primary"
              disabled={!canEdit}
              onClick={async () => {
                setError(null);
                try {
                  await put<Menu>(`/accounts/${account.id}/menu`, { buttons });
                  setMenu(await post<Menu>(`/accounts/${account.id}/menu/publish`));
                  message.success('已发布到微信');
                } catch (e) {
                  setError((e as Error).message);
                }
              }}
            >
              {t('发布到微信')}
            </Button>
            <Typography.Text type="secondary" id="published">
              {menu.published_at
                ? `已发布 ${new Date(menu.published_at).toLocaleString('zh-CN', { hour12: false })}`
                : '未发布'}
            </Typography.Text>
          </Space>
        </Card>
      </Col>
      <Col span={9}>
        <Card title="手机预览">
          <div
            style={{
              width: 300,
              height: 420,
              background: '#ededed',
              borderRadius: 16,
              position: 'relative',
              margin: '0 auto',
              border: '8px solid #222',
            }}
          >
            <div
              style={{
                position: 'absolute',
                bottom: 0,
                left: 0,
                right: 0,
                display: 'flex',
                background: '#f7f7f7',
                borderTop: '1px solid #d6d6d6',
              }}
            >
              {buttons.map((b, i) => (
                <div
                  key={`${b.name}:${b.key ?? b.url ?? ''}`}
                  style={{
                    flex: 1,
                    textAlign: 'center',
                    padding: '10px 0',
                    borderLeft: i ? '1px solid #e0e0e0' : 0,
                    position: 'relative',
                  }}
                >
                  {b.name}
                  {!!b.sub_button?.length && (
                    <div
                      style={{
                        position: 'absolute',
                        bottom: 44,
                        left: 4,
                        right: 4,
                        background: '#fff',
                        border: '1px solid #ddd',
                        borderRadius: 6,
                      }}
                    >
                      {b.sub_button.map((s, k) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: menu buttons are positional, as WeChat numbers them
                        <div key={k} style={{ padding: 8, borderBottom: '1px solid #eee' }}>
                          {s.name}
                        </div>
                      ))}
                    </div>
                  )}
                </div>
              ))}
            </div>
          </div>
        </Card>
      </Col>
    </Row>
  );
}
