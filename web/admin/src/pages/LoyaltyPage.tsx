import {
  Alert,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Tabs,
  Tag,
} from 'antd';
import { useEffect, useState } from 'react';
import { get, put } from '../api.ts';
import { useCanEdit, useT } from '../i18n.ts';
import { CardsTab, ReportTab } from './LoyaltyCards.tsx';
import { RewardsTab } from './LoyaltyRewards.tsx';

interface Level {
  key: string;
  name: string;
  min_spend: number;
  min_points: number;
  earn_rate: number;
  discount_pct: number;
  free_shipping: boolean;
  birthday_gift: string;
  birthday_points?: number;
  store_perks: Record<string, string>;
}
interface Program {
  name: string;
  cover_url: string;
  color: string;
  terms: string;
  levels: Level[];
  points_per_yuan: number;
  excluded_categories: string[];
  checkin_points: number;
  review_points: number;
  expiry_days: number;
  issue_on_first_order: boolean;
  topup_rules: Array<{ amount: number; bonus: number }>;
  status: 'active' | 'paused';
  notice_template_id?: string;
  configured?: boolean;
}
/** The card as the fan sees it, redrawn as the operator edits. */
function CardPreview({ program, level }: { program: Program; level: Level | undefined }) {
  return (
    <div
      data-testid="card-preview"
      style={{ background: program.color, color: '#fff', borderRadius: 12, padding: 16, minHeight: 150 }}
    >
      <div style={{ display: 'flex', justifyContent: 'space-between' }}>
        <b style={{ fontSize: 18 }}>{program.name}</b>
        <span>{level?.name}</span>
      </div>
      <div style={{ opacity: 0.8 }}>No. 8000 0000 0000 0001</div>
      <div style={{ marginTop: 16 }}>
        {level && level.discount_pct > 0 && <Tag>{(100 - level.discount_pct) / 10} 折</Tag>}
        {level && <Tag>¥1 = {level.earn_rate} 积分</Tag>}
        {level?.free_shipping && <Tag>包邮</Tag>}
        {level?.birthday_gift && <Tag>{level.birthday_gift}</Tag>}
      </div>
    </div>
  );
}

function ProgramEditor() {
  const t = useT();
  const canEdit = useCanEdit();
  const [program, setProgram] = useState<Program | null>(null);
  const [previewLevel, setPreviewLevel] = useState(0);
  const [message, setMessage] = useState<{ type: 'success' | 'error'; text: string } | null>(null);
  useEffect(() => {
    get<Program>('/loyalty/program').then(setProgram);
  }, []);
  if (!program) return null;
  const set = (patch: Partial<Program>) => setProgram({ ...program, ...patch });
  const setLevel = (i: number, patch: Partial<Level>) =>
    set({ levels: program.levels.map((l, k) => (k === i ? { ...l, ...patch } : l)) });
  const save = async () => {
    const { configured: _, ...body } = program;
    try {
      setProgram(await put<Program>('/loyalty/program', body));
      setMessage({ type: 'success', text: t('已保存') });
    } catch (error) {
      setMessage({ type: 'error', text: (error as Error).message });
    }
  };
  return (
    <Row gutter={24}>
      <Col span={14}>
        {!program.configured && <Alert type="info" showIcon message={t('尚未启用：保存后开始发卡')} />}
        <Form layout="vertical" disabled={!canEdit} style={{ marginTop: 12 }}>
          <Form.Item label={t('卡名称')}>
            <Input value={program.name} onChange={(e) => set({ name: e.target.value })} maxLength={30} />
          </Form.Item>
          <Form.Item label={t('卡面颜色')}>
            <Input
              type="color"
              value={program.color}
              onChange={(e) => set({ color: e.target.value })}
              style={{ width: 80 }}
            />
          </Form.Item>
          <Table
            rowKey="key"
            pagination={false}
            size="small"
            dataSource={program.levels}
            columns={[
              {
                title: t('等级'),
                render: (_, l, i) => (
                  <Input value={l.name} onChange={(e) => setLevel(i, { name: e.target.value })} />
                ),
              },
              {
                title: t('累计消费（元）'),
                render: (_, l, i) => (
                  <InputNumber
                    min={0}
                    disabled={i === 0}
                    value={l.min_spend / 100}
                    onChange={(v) => setLevel(i, { min_spend: Math.round((v ?? 0) * 100) })}
                  />
                ),
              },
              {
                title: t('折扣 %'),
                render: (_, l, i) => (
                  <InputNumber
                    min={0}
                    max={50}
                    value={l.discount_pct}
                    onChange={(v) => setLevel(i, { discount_pct: v ?? 0 })}
                  />
                ),
              },
              {
                title: t('积分倍率'),
                render: (_, l, i) => (
                  <InputNumber
                    min={0}
                    step={0.5}
                    value={l.earn_rate}
                    onChange={(v) => setLevel(i, { earn_rate: v ?? 0 })}
                  />
                ),
              },
              {
                title: t('包邮'),
                render: (_, l, i) => (
                  <Switch checked={l.free_shipping} onChange={(v) => setLevel(i, { free_shipping: v })} />
                ),
              },
              {
                title: t('生日礼'),
                render: (_, l, i) => (
                  <Input
                    value={l.birthday_gift}
                    onChange={(e) => setLevel(i, { birthday_gift: e.target.value })}
                  />
                ),
              },
              {
                title: t('生日积分'),
                render: (_, l, i) => (
                  <InputNumber
                    min={0}
                    value={l.birthday_points ?? 0}
                    onChange={(v) => setLevel(i, { birthday_points: v ?? 0 })}
                  />
                ),
              },
            ]}
          />
          <Space style={{ marginTop: 12 }} wrap>
            <Form.Item label={t('评价积分')}>
              <InputNumber
                min={0}
                value={program.review_points}
                onChange={(v) => set({ review_points: v ?? 0 })}
              />
            </Form.Item>
            <Form.Item label={t('通知模板 ID（留空则发客服消息）')}>
              <Input
                maxLength={64}
                value={program.notice_template_id ?? ''}
                onChange={(e) => set({ notice_template_id: e.target.value })}
              />
            </Form.Item>
            <Form.Item label={t('多少积分抵 1 元')}>
              <InputNumber
                min={1}
                value={program.points_per_yuan}
                onChange={(v) => set({ points_per_yuan: v ?? 100 })}
              />
            </Form.Item>
            <Form.Item label={t('签到积分')}>
              <InputNumber
                min={0}
                value={program.checkin_points}
                onChange={(v) => set({ checkin_points: v ?? 0 })}
              />
            </Form.Item>
            <Form.Item label={t('积分有效天数（0 为永久）')}>
              <InputNumber
                min={0}
                value={program.expiry_days}
                onChange={(v) => set({ expiry_days: v ?? 0 })}
              />
            </Form.Item>
            <Form.Item label={t('首单支付后自动开卡')}>
              <Switch
                checked={program.issue_on_first_order}
                onChange={(v) => set({ issue_on_first_order: v })}
              />
            </Form.Item>
          </Space>
          <Form.Item label={t('不积分的类目（逗号分隔）')}>
            <Input
              value={program.excluded_categories.join(',')}
              onChange={(e) =>
                set({
                  excluded_categories: e.target.value
                    .split(/[,，]/)
                    .map((s) => s.trim())
                    .filter(Boolean),
                })
              }
            />
          </Form.Item>
          <Form.Item label={t('充值赠送（充 X 元送 Y 元，每行一条）')}>
            <Input.TextArea
              rows={2}
              value={program.topup_rules.map((r) => `${r.amount / 100} ${r.bonus / 100}`).join('\n')}
              onChange={(e) =>
                set({
                  topup_rules: e.target.value
                    .split('\n')
                    .map((line) => line.trim().split(/\s+/).map(Number))
                    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b) && (a ?? 0) >= 1)
                    .map(([a, b]) => ({
                      amount: Math.round((a ?? 0) * 100),
                      bonus: Math.round((b ?? 0) * 100),
                    })),
                })
              }
            />
          </Form.Item>
          <Form.Item label={t('使用须知')}>
            <Input.TextArea rows={3} value={program.terms} onChange={(e) => set({ terms: e.target.value })} />
          </Form.Item>
          <Button type="primary" onClick={save}>
            {t('保存')}
          </Button>
          {message && <Alert style={{ marginTop: 12 }} type={message.type} message={message.text} />}
        </Form>
      </Col>
      <Col span={10}>
        <Card title={t('卡面预览')} size="small">
          <Select
            style={{ width: '100%', marginBottom: 12 }}
            value={previewLevel}
            onChange={setPreviewLevel}
            options={program.levels.map((l, i) => ({ value: i, label: l.name }))}
          />
          <CardPreview program={program} level={program.levels[previewLevel]} />
        </Card>
      </Col>
    </Row>
  );
}

/** Member cards: the program editor with a live preview, cards and their ledgers, the report. */
export function LoyaltyPage({ isOwner }: { isOwner: boolean }) {
  const t = useT();
  return (
    <Tabs
      items={[
        { key: 'program', label: t('会员卡方案'), children: <ProgramEditor /> },
        { key: 'cards', label: t('会员卡'), children: <CardsTab isOwner={isOwner} /> },
        { key: 'rewards', label: t('积分兑换'), children: <RewardsTab /> },
        { key: 'report', label: t('会员报表'), children: <ReportTab /> },
      ]}
    />
  );
}
