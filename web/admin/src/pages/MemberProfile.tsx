import {
  App as AntApp,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Modal,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, fen, get, post, time } from '../api.ts';
import { type AttributeDef, type Member, memberName, type TagInfo, useTr } from './crmText.ts';

interface TimelineItem {
  id: string;
  at: number;
  kind: string;
  direction: 'in' | 'out' | 'event';
  text: string | null;
  reply: string | null;
  body: Record<string, unknown> | null;
  actor: string | null;
}

interface Merge {
  id: string;
  from_member_id: string;
  reason: string;
  created_at: number;
  undone_at: number | null;
}

/** What a fan writes; other log rows (follow, scan, menu click) read as events. */
const TALK = new Set(['text', 'image', 'voice', 'video', 'shortvideo', 'location', 'link', 'agent']);

function describe(item: TimelineItem, tr: (zh: string, en: string) => string): string {
  const body = item.body ?? {};
  switch (item.kind) {
    case 'subscribe':
      return tr('关注了公众号', 'Followed the account');
    case 'unsubscribe':
      return tr('取消关注', 'Unfollowed');
    case 'scan':
      return tr('扫描了二维码', 'Scanned a QR code');
    case 'click':
    case 'view':
      return `${tr('点击了菜单', 'Clicked a menu')} ${item.text ?? ''}`;
    case 'note':
      return `${tr('备注', 'Note')}：${String(body.text)}`;
    case 'tag_added':
      return `${tr('打标签', 'Tagged')}「${String(body.name)}」`;
    case 'tag_removed':
      return `${tr('去标签', 'Untagged')}「${String(body.name)}」`;
    case 'order_paid':
      return `${tr('支付订单', 'Paid order')} ${fen(Number(body.total))}`;
    case 'order_refunded':
      return `${tr('订单退款', 'Refunded order')} ${fen(Number(body.total))}`;
    case 'merged':
      return `${tr('合并了会员', 'Merged member')} ${String(body.from)}（${String(body.reason)}）`;
    case 'unmerged':
      return `${tr('撤销合并', 'Merge undone')} ${String(body.from)}`;
    default:
      return item.kind;
  }
}

/** Profile, tags, attributes, notes, merges and the timeline of one member. */
export function MemberProfile({ memberId, compact = false }: { memberId: string; compact?: boolean }) {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [member, setMember] = useState<Member | null>(null);
  const [defs, setDefs] = useState<AttributeDef[]>([]);
  const [tags, setTags] = useState<TagInfo[]>([]);
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [merges, setMerges] = useState<Merge[]>([]);
  const [editing, setEditing] = useState(false);
  const [note, setNote] = useState('');
  const [form] = Form.useForm();

  const loadTimeline = useCallback(
    async (after?: string) => {
      const page = await get<{ items: TimelineItem[]; next_cursor: string | null }>(
        `/crm/members/${memberId}/timeline?limit=30${after ? `&cursor=${after}` : ''}`,
      );
      setItems((current) => (after ? [...current, ...page.items] : page.items));
      setCursor(page.next_cursor);
    },
    [memberId],
  );
  const load = useCallback(async () => {
    const [m, d, t, mg] = await Promise.all([
      get<Member>(`/crm/members/${memberId}`),
      get<AttributeDef[]>('/crm/attributes'),
      get<TagInfo[]>('/crm/tags'),
      get<Merge[]>(`/crm/members/${memberId}/merges`),
    ]);
    setMember(m);
    setDefs(d);
    setTags(t);
    setMerges(mg);
    await loadTimeline();
  }, [memberId, loadTimeline]);
  useEffect(() => {
    void load();
  }, [load]);

  if (!member) return null;
  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      await load();
    } catch (error) {
      message.error((error as Error).message);
    }
  };

  return (
    <div style={{ display: 'flex', flexDirection: 'column', gap: 8, minWidth: 0 }}>
      <Card
        size="small"
        title={memberName(member)}
        extra={
          <Button size="small" onClick={() => setEditing(true)}>
            {tr('编辑', 'Edit')}
          </Button>
        }
      >
        <Descriptions size="small" column={compact ? 1 : 2}>
          <Descriptions.Item label={tr('手机', 'Phone')}>{member.phone ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={tr('地区', 'Region')}>{member.region ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={tr('订单数', 'Orders')}>{member.order_count}</Descriptions.Item>
          <Descriptions.Item label={tr('消费', 'Spend')}>{fen(member.spend)}</Descriptions.Item>
          <Descriptions.Item label={tr('客单价', 'AOV')}>{fen(member.average_order_value)}</Descriptions.Item>
          <Descriptions.Item label={tr('最近购买', 'Last purchase')}>
            {time(member.last_order_at)}
          </Descriptions.Item>
          <Descriptions.Item label={tr('首次接触', 'First contact')}>
            {time(member.first_contact_at)}
          </Descriptions.Item>
          <Descriptions.Item label={tr('最近互动', 'Last contact')}>
            {time(member.last_contact_at)}
          </Descriptions.Item>
          {defs.map((d) => (
            <Descriptions.Item key={d.key} label={d.label}>
              {member.attrs[d.key] === undefined ? '—' : String(member.attrs[d.key])}
            </Descriptions.Item>
          ))}
        </Descriptions>
        {!compact && (
          <Space wrap style={{ marginTop: 8 }}>
            {member.identities.map((i) => (
              <Tag key={`${i.kind}:${i.value}`}>
                {i.kind}: {i.value}
              </Tag>
            ))}
          </Space>
        )}
        <Space wrap style={{ marginTop: 8 }}>
          {member.tags.map((tag) => (
            <Tag
              key={tag.id}
              color="blue"
              closable
              onClose={(e) => {
                e.preventDefault();
                void act(() => post(`/crm/tags/${tag.id}/remove`, { member_ids: [member.id] }));
              }}
            >
              {tag.name}
            </Tag>
          ))}
          <Select
            size="small"
            placeholder={tr('+ 标签', '+ Tag')}
            style={{ width: 120 }}
            value={null}
            options={tags
              .filter((t) => !member.tags.some((m) => m.id === t.id))
              .map((t) => ({ value: t.id, label: t.name }))}
            onChange={(tagId: string) =>
              void act(() => post(`/crm/tags/${tagId}/members`, { member_ids: [member.id] }))
            }
          />
        </Space>
      </Card>
      <Space.Compact style={{ width: '100%' }}>
        <Input
          value={note}
          placeholder={tr('添加备注', 'Add a note')}
          onChange={(e) => setNote(e.target.value)}
        />
        <Button
          disabled={!note.trim()}
          onClick={() =>
            void act(async () => {
              await post(`/crm/members/${member.id}/notes`, { text: note });
              setNote('');
            })
          }
        >
          {tr('保存', 'Save')}
        </Button>
      </Space.Compact>
      {merges.filter((m) => m.undone_at === null).length > 0 && (
        <Card size="small" title={tr('合并记录', 'Merges')}>
          {merges
            .filter((m) => m.undone_at === null)
            .map((m) => (
              <Space key={m.id}>
                <Typography.Text>
                  {m.from_member_id}（{m.reason}）{time(m.created_at)}
                </Typography.Text>
                <Button size="small" onClick={() => void act(() => post(`/crm/merges/${m.id}/undo`))}>
                  {tr('撤销', 'Undo')}
                </Button>
              </Space>
            ))}
        </Card>
      )}
      <Card size="small" title={tr('时间线', 'Timeline')}>
        {items.map((item) => (
          <div
            key={`${item.id}:${item.direction}`}
            style={{ padding: '6px 0', borderBottom: '1px solid #f0f0f0' }}
          >
            <Space orientation="vertical" size={0}>
              <Typography.Text type="secondary">{time(item.at)}</Typography.Text>
              {item.direction === 'event' || !TALK.has(item.kind) ? (
                <Typography.Text>{describe(item, tr)}</Typography.Text>
              ) : (
                <Typography.Text>
                  <Tag color={item.direction === 'in' ? 'green' : 'purple'}>
                    {item.direction === 'in' ? tr('粉丝', 'Fan') : tr('客服', 'Agent')}
                  </Tag>
                  {item.text ?? `[${item.kind}]`}
                </Typography.Text>
              )}
              {item.reply && <Typography.Text type="secondary">↳ {item.reply}</Typography.Text>}
            </Space>
          </div>
        ))}
        {cursor && <Button onClick={() => void loadTimeline(cursor)}>{tr('加载更多', 'Load more')}</Button>}
      </Card>
      <Modal
        open={editing}
        title={tr('编辑会员', 'Edit member')}
        onCancel={() => setEditing(false)}
        onOk={() => form.submit()}
        destroyOnHidden
      >
        <Form
          form={form}
          layout="vertical"
          initialValues={{ ...member, attrs: member.attrs }}
          onFinish={(values: Record<string, unknown> & { attrs?: Record<string, unknown> }) =>
            void act(async () => {
              const { name, phone, region, birthday, attrs } = values;
              const clean = Object.fromEntries(
                Object.entries(attrs ?? {}).filter(([, v]) => v !== undefined),
              );
              await api('PATCH', `/crm/members/${member.id}`, {
                name: name || null,
                phone: phone || null,
                region: region || null,
                birthday: birthday || null,
                attrs: clean,
              });
              setEditing(false);
            })
          }
        >
          <Form.Item name="name" label={tr('姓名', 'Name')}>
            <Input />
          </Form.Item>
          <Form.Item
            name="phone"
            label={tr('手机（与他人相同将自动合并）', 'Phone (same as another member merges)')}
          >
            <Input />
          </Form.Item>
          <Form.Item name="region" label={tr('地区', 'Region')}>
            <Input />
          </Form.Item>
          <Form.Item name="birthday" label={tr('生日 YYYY-MM-DD', 'Birthday YYYY-MM-DD')}>
            <Input />
          </Form.Item>
          {defs.map((d) => (
            <Form.Item key={d.key} name={['attrs', d.key]} label={d.label}>
              {d.type === 'number' ? (
                <InputNumber style={{ width: '100%' }} />
              ) : d.type === 'choice' ? (
                <Select allowClear options={(d.options ?? []).map((o) => ({ value: o, label: o }))} />
              ) : (
                <Input />
              )}
            </Form.Item>
          ))}
        </Form>
      </Modal>
    </div>
  );
}
