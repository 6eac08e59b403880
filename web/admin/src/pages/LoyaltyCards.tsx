import {
  Alert,
  Button,
  Card,
  Col,
  Input,
  InputNumber,
  Row,
  Select,
  Space,
  Statistic,
  Table,
  Tabs,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, time } from '../api.ts';
import { useT } from '../i18n.ts';

interface CardRow {
  id: string;
  number: string;
  openid: string;
  level: string;
  points: number;
  balance: number;
  total_spend: number;
  source: string;
  created_at: number;
}
interface Entry {
  id: string;
  delta: number;
  reason: string;
  actor: string;
  note: string;
  created_at: number;
}
interface Report {
  cards: number;
  by_level: Array<{ level: string; name: string; cards: number }>;
  points: { issued: number; spent: number; expired: number; reversed: number; outstanding: number };
  stored_value: {
    topped_up: number;
    bonus: number;
    spent: number;
    float: number;
    paid_in: number;
    topup_mismatch: number;
  };
  ledger_mismatch: number;
}

/** Cards with their ledgers and the owner's adjustments; the loyalty report. */
export function CardsTab({ isOwner }: { isOwner: boolean }) {
  const t = useT();
  const [cards, setCards] = useState<CardRow[]>([]);
  const [open, setOpen] = useState<{ card: CardRow; points: Entry[]; value: Entry[] } | null>(null);
  const [adjust, setAdjust] = useState({ kind: 'points', delta: 0, reason: '' });
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    async () => setCards((await get<{ items: CardRow[] }>('/loyalty/cards?limit=100')).items),
    [],
  );
  useEffect(() => {
    load();
  }, [load]);
  const show = async (id: string) => setOpen(await get(`/loyalty/cards/${id}`));
  const ledger = (rows: Entry[], money: boolean) => (
    <Table
      rowKey="id"
      size="small"
      pagination={false}
      dataSource={rows}
      columns={[
        { title: t('时间'), render: (_, e) => time(e.created_at) },
        { title: t('原因'), dataIndex: 'reason' },
        { title: t('变动'), render: (_, e) => (money ? fen(e.delta) : e.delta) },
        { title: t('操作人'), dataIndex: 'actor' },
        { title: t('备注'), dataIndex: 'note' },
      ]}
    />
  );
  return (
    <>
      <Table
        rowKey="id"
        size="small"
        dataSource={cards}
        onRow={(c) => ({ onClick: () => show(c.id) })}
        columns={[
          { title: t('卡号'), dataIndex: 'number' },
          { title: t('等级'), dataIndex: 'level' },
          { title: t('积分'), dataIndex: 'points' },
          { title: t('储值余额'), render: (_, c) => fen(c.balance) },
          { title: t('累计消费'), render: (_, c) => fen(c.total_spend) },
          { title: t('来源'), dataIndex: 'source' },
          { title: t('开卡时间'), render: (_, c) => time(c.created_at) },
        ]}
      />
      {open && (
        <Card title={`${t('会员卡')} ${open.card.number}`} style={{ marginTop: 16 }}>
          {isOwner && (
            <Space style={{ marginBottom: 12 }} wrap>
              <Select
                value={adjust.kind}
                onChange={(kind) => setAdjust({ ...adjust, kind })}
                options={[
                  { value: 'points', label: t('积分') },
                  { value: 'balance', label: t('储值（分）') },
                ]}
              />
              <InputNumber value={adjust.delta} onChange={(v) => setAdjust({ ...adjust, delta: v ?? 0 })} />
              <Input
                placeholder={t('调整原因（必填）')}
                value={adjust.reason}
                onChange={(e) => setAdjust({ ...adjust, reason: e.target.value })}
              />
              <Button
                onClick={async () => {
                  try {
                    await post(`/loyalty/cards/${open.card.id}/adjustments`, adjust);
                    setError(null);
                    await show(open.card.id);
                    await load();
                  } catch (e) {
                    setError((e as Error).message);
                  }
                }}
              >
                {t('调整')}
              </Button>
            </Space>
          )}
          {error && <Alert type="error" message={error} />}
          <Tabs
            items={[
              { key: 'p', label: t('积分流水'), children: ledger(open.points, false) },
              { key: 'v', label: t('储值流水'), children: ledger(open.value, true) },
            ]}
          />
        </Card>
      )}
    </>
  );
}

export function ReportTab() {
  const t = useT();
  const [report, setReport] = useState<Report | null>(null);
  useEffect(() => {
    get<Report>('/loyalty/report').then(setReport);
  }, []);
  if (!report) return null;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {report.ledger_mismatch > 0 && <Alert type="error" message={t('有会员卡余额与流水不符')} />}
      <Row gutter={16}>
        <Col span={4}>
          <Statistic title={t('会员卡')} value={report.cards} />
        </Col>
        {report.by_level.map((l) => (
          <Col span={4} key={l.level}>
            <Statistic title={l.name} value={l.cards} />
          </Col>
        ))}
      </Row>
      <Row gutter={16}>
        <Col span={4}>
          <Statistic title={t('积分发放')} value={report.points.issued} />
        </Col>
        <Col span={4}>
          <Statistic title={t('积分使用')} value={report.points.spent} />
        </Col>
        <Col span={4}>
          <Statistic title={t('积分过期')} value={report.points.expired} />
        </Col>
        <Col span={4}>
          <Statistic title={t('积分余额')} value={report.points.outstanding} />
        </Col>
      </Row>
      <Row gutter={16}>
        <Col span={4}>
          <Statistic title={t('储值充值')} value={fen(report.stored_value.topped_up)} />
        </Col>
        <Col span={4}>
          <Statistic title={t('充值赠送')} value={fen(report.stored_value.bonus)} />
        </Col>
        <Col span={4}>
          <Statistic title={t('储值消费')} value={fen(report.stored_value.spent)} />
        </Col>
        <Col span={4}>
          <Statistic title={t('储值负债')} value={fen(report.stored_value.float)} />
        </Col>
        <Col span={4}>
          <Statistic title={t('微信支付到账')} value={fen(report.stored_value.paid_in)} />
        </Col>
      </Row>
    </Space>
  );
}
