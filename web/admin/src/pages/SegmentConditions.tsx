import { Input, InputNumber, Select, Space } from 'antd';
import { type AttributeDef, type TagInfo, useTr } from './crmText.ts';

export type Condition = Record<string, unknown> & { type: string };
export interface Group {
  op: 'and' | 'or';
  rules: Array<Condition | Group>;
}

export const isGroup = (rule: Condition | Group): rule is Group => 'rules' in rule;

/** A condition still being filled in (no tag, field or category picked) is not counted yet. */
export function incomplete(group: Group): boolean {
  return group.rules.some((rule) =>
    isGroup(rule)
      ? incomplete(rule)
      : ['tag_id', 'key', 'category', 'qrcode_id'].some((k) => k in rule && !rule[k]),
  );
}

export const TYPES: Array<{ value: string; zh: string; en: string; blank: Condition }> = [
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
  {
    value: 'rfm',
    zh: 'RFM 分档',
    en: 'RFM band',
    blank: { type: 'rfm', dimension: 'r', min: 4, max: 5 },
  },
];
const RFM = [
  { value: 'r', zh: 'R 最近购买', en: 'R recency' },
  { value: 'f', zh: 'F 购买次数', en: 'F frequency' },
  { value: 'm', zh: 'M 消费金额', en: 'M monetary' },
];
const OPS = ['eq', 'neq', 'contains', 'gt', 'gte', 'lt', 'lte', 'set', 'unset'].map((o) => ({
  value: o,
  label: o,
}));
const FIELDS = ['region', 'gender', 'name', 'phone', 'birthday', 'order_count', 'spend'].map((f) => ({
  value: f,
  label: f,
}));

export function ConditionEditor({
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
    case 'rfm':
      return (
        <Space>
          <Select
            aria-label="rfm dimension"
            style={{ width: 130 }}
            value={rule.dimension as string}
            options={RFM.map((d) => ({ value: d.value, label: tr(d.zh, d.en) }))}
            onChange={(dimension) => set({ dimension })}
          />
          <InputNumber
            aria-label="rfm min"
            min={1}
            max={5}
            value={rule.min as number}
            prefix={tr('分', 'score')}
            onChange={(v) => set({ min: v ?? 1 })}
          />
          –
          <InputNumber
            aria-label="rfm max"
            min={1}
            max={5}
            value={rule.max as number}
            onChange={(v) => set({ max: v ?? 5 })}
          />
        </Space>
      );
    default:
      return null;
  }
}
