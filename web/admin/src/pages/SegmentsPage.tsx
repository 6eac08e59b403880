import {
  App as AntApp,
  Button,
  Card,
  Col,
  Input,
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
import {
  type Condition,
  ConditionEditor,
  type Group,
  incomplete,
  isGroup,
  TYPES,
} from './SegmentConditions.tsx';

interface Segment {
  id: string;
  name: string;
  rules: Group;
  auto_tag_id: string | null;
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
  const [editing, setEditing] = useState<{
    id?: string;
    name: string;
    rules: Group;
    auto_tag_id?: string | null;
  }>({ name: '', rules: { op: 'and', rules: [] } });
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
      const body = {
        name: editing.name || tr('未命名分群', 'Untitled segment'),
        rules: editing.rules,
        auto_tag_id: editing.auto_tag_id ?? null,
      };
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
          <Space style={{ marginTop: 12 }}>
            <Typography.Text>{tr('自动打标签', 'Auto-tag members')}</Typography.Text>
            <Select
              aria-label="auto tag"
              allowClear
              style={{ width: 220 }}
              placeholder={tr('不自动打标签', 'No auto-tag')}
              value={editing.auto_tag_id ?? undefined}
              options={tags.map((t) => ({ value: t.id, label: t.name }))}
              onChange={(v) => setEditing({ ...editing, auto_tag_id: v ?? null })}
            />
            <Typography.Text type="secondary">
              {tr(
                '保存后，成员进出分群时自动加上或去掉此标签（并同步到微信）',
                'Once saved, members entering or leaving get the tag added or removed (and synced to WeChat)',
              )}
            </Typography.Text>
          </Space>
          {error && <Typography.Text type="danger">{error}</Typography.Text>}
        </Card>
      </Col>
    </Row>
  );
}
