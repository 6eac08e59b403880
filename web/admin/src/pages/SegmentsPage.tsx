import {
  App as AntApp,
  Button,
  Card,
  Col,
  Input,
  InputNumber,
  Radio,
  Row,
  Select,
  Space,
  Statistic,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { api, get, post } from '../api.ts';
import { type AttributeDef, type TagInfo, useTr } from './crmText.ts';

type Condition = Record<string, unknown> & { type: string };
interface Group {
  op: 'and' | 'or';
  rules: Array<Condition | Group>;
}
interface Segment {
  id: string;
  name: string;
  rules: Group;
}

const isGroup = (rule: Condition | Group): rule is Group => 'rules' in rule;

/** A condition still being filled in (no tag, field or category picked) is not counted yet. */
function incomplete(group: Group): boolean {
  return group.rules.some((rule) =>
    isGroup(rule)
      ? incomplete(rule)
      : ['tag_id', 'key', 'category', 'qrcode_id'].some((k) => k in rule && !rule[k]),
  );
}

const TYPES: Array<{ value: string; zh: string; en: string; blank: Condition }> = [
  { value: 'tag', zh: '有标签', en: 'Has tag', blank: { type: 'tag', tag_id: '' } },
  {
    value: 'field',
    zh: '资料字段',
    en: 'Profile field',
    blank: { type: 'field', field: 'region', op: 'eq', value: '' },
  },
  {
    value: 'attr',
    zh: '自定义字段',
    en: 'Custom field',
    blank: { type: 'attr', key: '', op: 'eq', value: '' },
  },
  {
    value: 'spent',
    zh: 'N 天内消费 ≥',
    en: 'Spent ≥ in N days',
    blank: { type: 'spent', min_fen: 10000, days: 90 },
  },
  {
    value: 'bought_category',
    zh: 'N 天内买过类目',
    en: 'Bought category in N days',
    blank: { type: 'bought_category', category: '', days: 30 },
  },
  { value: 'talked', zh: 'N 小时内聊过', en: 'Talked in N hours', blank: { type: 'talked', hours: 48 } },
  { value: 'silent', zh: '沉默 N 天', en: 'Silent for N days', blank: { type: 'silent', days: 30 } },
  {
    value: 'source_qr',
    zh: '来自渠道二维码',
    en: 'Came from QR code',
    blank: { type: 'source_qr', qrcode_id: '' },
  },
];
const OPS = ['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'set', 'unset'].map((o) => ({
  value: o,
  label: o,
}));
const FIELDS = ['region', 'gender', 'name', 'phone', 'birthday', 'order_count', 'spend'].map((f) => ({
  value: f,
  label: f,
}));

function ConditionEditor({
  rule,
  onChange,
  tags,
  defs,
  qrcodes,
}: {
  rule: Condition;
  onChange: (rule: Condition) => void;
  tags: TagInfo[];
  defs: AttributeDef[];
  qrcodes: Array<{ id: string; name: string }>;
}) {
  const tr = useTr();
  const set = (patch: Record<string, unknown>) => onChange({ ...rule, ...patch });
  const num = (key: string, suffix: string) => (
    <InputNumber
      min={0}
      value={rule[key] as number}
      suffix={suffix}
      onChange={(v) => set({ [key]: v ?? 0 })}
    />
  );
  switch (rule.type) {
    case 'tag':
      return (
        <Select
          style={{ width: 180 }}
          value={(rule.tag_id as string) || undefined}
          placeholder={tr('选择标签', 'Pick a tag')}
          options={tags.map((t) => ({ value: t.id, label: t.name }))}
          onChange={(tag_id) => set({ tag_id })}
        />
      );
    case 'field':
    case 'attr':
      return (
        <Space>
          {rule.type === 'field' ? (
            <Select
              style={{ width: 130 }}
              value={rule.field as string}
              options={FIELDS}
              onChange={(field) => set({ field })}
            />
          ) : (
            <Select
              style={{ width: 130 }}
              value={(rule.key as string) || undefined}
              placeholder={tr('字段', 'Field')}
              options={defs.map((d) => ({ value: d.key, label: d.label }))}
              onChange={(key) => set({ key })}
            />
          )}
          <Select
            style={{ width: 90 }}
            value={rule.op as string}
            options={OPS}
            onChange={(op) => set({ op })}
          />
          <Input
            style={{ width: 140 }}
            value={String(rule.value ?? '')}
            onChange={(e) =>
              set({ value: /^\d+(\.\d+)?$/.test(e.target.value) ? Number(e.target.value) : e.target.value })
            }
          />
        </Space>
      );
    case 'spent':
      return (
        <Space>
          {num('days', tr('天', 'days'))}
          <InputNumber
            min={0}
            value={(rule.min_fen as number) / 100}
            prefix="¥"
            onChange={(v) => set({ min_fen: Math.round((v ?? 0) * 100) })}
          />
        </Space>
      );
    case 'bought_category':
      return (
        <Space>
          <Input
            style={{ width: 160 }}
            placeholder={tr('类目，如 美妆/面膜', 'Category')}
            value={rule.category as string}
            onChange={(e) => set({ category: e.target.value })}
          />
          {num('days', tr('天', 'days'))}
        </Space>
      );
    case 'talked':
      return num('hours', tr('小时', 'hours'));
    case 'silent':
      return num('days', tr('天', 'days'));
    case 'source_qr':
      return (
        <Select
          style={{ width: 180 }}
          value={(rule.qrcode_id as string) || undefined}
          options={qrcodes.map((q) => ({ value: q.id, label: q.name }))}
          onChange={(qrcode_id) => set({ qrcode_id })}
        />
      );
    default:
      return null;
  }
}

function GroupEditor(props: {
  group: Group;
  onChange: (group: Group) => void;
  depth: number;
  tags: TagInfo[];
  defs: AttributeDef[];
  qrcodes: Array<{ id: string; name: string }>;
}) {
  const tr = useTr();
  const { group, onChange, depth } = props;
  const replace = (i: number, rule: Condition | Group | null) =>
    onChange({
      ...group,
      rules:
        rule === null
          ? group.rules.filter((_, j) => j !== i)
          : group.rules.map((r, j) => (j === i ? rule : r)),
    });
  return (
    <Card size="small" style={{ background: depth > 1 ? '#fafafa' : undefined }}>
      <Radio.Group
        value={group.op}
        onChange={(e) => onChange({ ...group, op: e.target.value })}
        style={{ marginBottom: 8 }}
      >
        <Radio.Button value="and">{tr('满足全部（且）', 'All (AND)')}</Radio.Button>
        <Radio.Button value="or">{tr('满足任一（或）', 'Any (OR)')}</Radio.Button>
      </Radio.Group>
      {group.rules.map((rule, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rules have no ids; their place is their identity
        <div key={i} style={{ marginBottom: 8 }}>
          {isGroup(rule) ? (
            <GroupEditor {...props} group={rule} depth={depth + 1} onChange={(g) => replace(i, g)} />
          ) : (
            <Space>
              <Select
                style={{ width: 170 }}
                value={rule.type}
                options={TYPES.map((t) => ({ value: t.value, label: tr(t.zh, t.en) }))}
                onChange={(type) => replace(i, { ...TYPES.find((t) => t.value === type)!.blank })}
              />
              <ConditionEditor {...props} rule={rule} onChange={(r) => replace(i, r)} />
            </Space>
          )}
          <Button type="link" danger onClick={() => replace(i, null)}>
            {tr('删除', 'Remove')}
          </Button>
        </div>
      ))}
      <Space>
        <Button
          size="small"
          onClick={() => onChange({ ...group, rules: [...group.rules, { ...TYPES[0]!.blank }] })}
        >
          {tr('+ 条件', '+ Condition')}
        </Button>
        {depth < 3 && (
          <Button
            size="small"
            onClick={() => onChange({ ...group, rules: [...group.rules, { op: 'or', rules: [] }] })}
          >
            {tr('+ 条件组', '+ Group')}
          </Button>
        )}
      </Space>
    </Card>
  );
}

/** Segment builder: AND/OR groups with a live count as the operator edits; save, freeze a snapshot. */
export function SegmentsPage() {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [segments, setSegments] = useState<Segment[]>([]);
  const [tags, setTags] = useState<TagInfo[]>([]);
  const [defs, setDefs] = useState<AttributeDef[]>([]);
  const [qrcodes, setQrcodes] = useState<Array<{ id: string; name: string }>>([]);
  const [editing, setEditing] = useState<{ id?: string; name: string; rules: Group }>({
    name: '',
    rules: { op: 'and', rules: [] },
  });
  const [count, setCount] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = useCallback(() => void get<Segment[]>('/crm/segments').then(setSegments), []);
  useEffect(() => {
    reload();
    void get<TagInfo[]>('/crm/tags').then(setTags);
    void get<AttributeDef[]>('/crm/attributes').then(setDefs);
    void get<Array<{ id: string; name: string }>>('/qrcodes')
      .then(setQrcodes)
      .catch(() => setQrcodes([]));
  }, [reload]);
  // Live count: debounced, the newest answer wins.
  useEffect(() => {
    let current = true;
    if (incomplete(editing.rules)) {
      setCount(null);
      return;
    }
    const timer = setTimeout(async () => {
      try {
        const result = await post<{ count: number }>('/crm/members/query', {
          rules: editing.rules,
          limit: 0,
        });
        if (current) {
          setCount(result.count);
          setError(null);
        }
      } catch (e) {
        if (current) setError((e as Error).message);
      }
    }, 300);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [editing.rules]);

  const save = async () => {
    try {
      const body = { name: editing.name || tr('未命名分群', 'Untitled segment'), rules: editing.rules };
      const saved = editing.id
        ? await api<Segment>('PUT', `/crm/segments/${editing.id}`, body)
        : await post<Segment>('/crm/segments', body);
      setEditing({ ...saved });
      message.success(tr('已保存', 'Saved'));
      reload();
    } catch (e) {
      message.error((e as Error).message);
    }
  };
  const snapshot = async () => {
    if (!editing.id) return;
    const snap = await post<{ members: number }>(`/crm/segments/${editing.id}/snapshots`);
    message.success(tr(`已冻结 ${snap.members} 人`, `Froze ${snap.members} members`));
  };

  return (
    <Row gutter={16}>
      <Col span={6}>
        <Card
          title={tr('已保存的分群', 'Saved segments')}
          extra={
            <Button size="small" onClick={() => setEditing({ name: '', rules: { op: 'and', rules: [] } })}>
              {tr('新建', 'New')}
            </Button>
          }
        >
          {segments.map((s) => (
            <button
              type="button"
              key={s.id}
              className="segment-item"
              style={{
                all: 'unset',
                display: 'block',
                width: '100%',
                cursor: 'pointer',
                padding: '6px 0',
                fontWeight: s.id === editing.id ? 600 : undefined,
              }}
              onClick={() => setEditing({ ...s })}
            >
              {s.name}
            </button>
          ))}
        </Card>
      </Col>
      <Col span={18}>
        <Card
          title={
            <Input
              aria-label="segment name"
              style={{ width: 260 }}
              placeholder={tr('分群名称', 'Segment name')}
              value={editing.name}
              onChange={(e) => setEditing({ ...editing, name: e.target.value })}
            />
          }
          extra={
            <Space>
              <Statistic title={tr('实时人数', 'Live count')} value={count ?? '—'} />
              <Button aria-label="save segment" type="primary" onClick={() => void save()}>
                {tr('保存', 'Save')}
              </Button>
              <Button disabled={!editing.id} onClick={() => void snapshot()}>
                {tr('冻结名单（群发用）', 'Freeze list (for a broadcast)')}
              </Button>
            </Space>
          }
        >
          <GroupEditor
            group={editing.rules}
            depth={1}
            tags={tags}
            defs={defs}
            qrcodes={qrcodes}
            onChange={(rules) => setEditing({ ...editing, rules })}
          />
          {error && <Typography.Text type="danger">{error}</Typography.Text>}
        </Card>
      </Col>
    </Row>
  );
}
