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
import { useCanEdit, useT } from '../i18n.ts';

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
    refunded_out: number;
    refunded: number;
    topup_mismatch: number;
  };
  members_vs_others: {
    days: number;
    members: Side;
    others: Side;
    ratio: number | null;
    complete: boolean;
  };
  ledger_mismatch: number;
}
interface Side {
  buyers: number;
  orders: number;
  spend: number;
  per_buyer: number;
}
interface TopUp {
  id: string;
  amount: number;
  bonus: number;
  status: string;
  created_at: number;
  refund_amount: number | null;
  bonus_back: number | null;
}

/** Cards with their ledgers and the owner's adjustments; the loyalty report. */
export function CardsTab({ isOwner }: { isOwner: boolean }) {
  const t = useT();
  const canEdit = useCanEdit();
  const [cards, setCards] = useState<CardRow[]>([]);
  const [open, setOpen] = useState<{ card: CardRow; points: Entry[]; value: Entry[] } | null>(null);
  const [topups, setTopups] = useState<TopUp[]>([]);
  const [adjust, setAdjust] = useState({ kind: 'points', delta: 0, reason: '' });
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    async () => setCards((await get<{ items: CardRow[] }>('/loyalty/cards?limit=100')).items),
    [],
  );
  useEffect(() => {
    load();
  }, [load]);
  const show = async (id: string) => {
    setOpen(await get(`/loyalty/cards/${id}`));
    setTopups(await get<TopUp[]>(`/loyalty/topups?card_id=${encodeURIComponent(id)}`).catch(() => []));
  };
  const topupStatus: Record<string, string> = {
    pending: t('待支付'),
    credited: t('已到账'),
    refunding: t('退款中'),
    refunded: t('已退款'),
  };
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
              {
                key: 't',
                label: t('充值记录'),
                children: (
                  <Table
                    rowKey="id"
                    size="small"
                    pagination={false}
                    dataSource={topups}
                    columns={[
                      { title: t('时间'), render: (_, x) => time(x.created_at) },
                      { title: t('充值'), render: (_, x) => fen(x.amount) },
                      { title: t('赠送'), render: (_, x) => fen(x.bonus) },
                      { title: t('状态'), render: (_, x) => topupStatus[x.status] ?? x.status },
                      {
                        title: t('退款'),
                        render: (_, x) =>
                          x.refund_amount !== null
                            ? `${fen(x.refund_amount)}（${t('收回赠送')} ${fen(x.bonus_back ?? 0)}）`
                            : x.status === 'credited' &&
                              canEdit && (
                                <Button
                                  size="small"
                                  danger
                                  onClick={async () => {
                                    try {
                                      await post(`/loyalty/topups/${x.id}/refund`);
                                      setError(null);
                                      await show(open.card.id);
                                      await load();
                                    } catch (e) {
                                      setError((e as Error).message);
                                    }
                                  }}
                                >
                                  {t('退还未用部分')}
                                </Button>
                              ),
                      },
                    ]}
                  />
                ),
              },
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
        <Col span={4}>
          <Statistic title={t('充值退款')} value={fen(report.stored_value.refunded_out)} />
        </Col>
      </Row>
      {report.stored_value.topup_mismatch !== 0 && (
        <Alert
          type="error"
          message={`${t('充值与微信支付对账不符')}：${fen(report.stored_value.topup_mismatch)}`}
        />
      )}
      <Card
        size="small"
        title={`${t('会员与非会员消费对比')}（${t('近')} ${report.members_vs_others.days} ${t('天')}）`}
      >
        <Row gutter={16}>
          {(['members', 'others'] as const).map((side) => (
            <Col span={6} key={side}>
              <Statistic
                title={`${side === 'members' ? t('会员') : t('非会员')} · ${t('人均消费')}`}
                value={fen(report.members_vs_others[side].per_buyer)}
                suffix={
                  <span style={{ fontSize: 12 }}>
                    {report.members_vs_others[side].buyers} {t('人')}
                  </span>
                }
              />
            </Col>
          ))}
          <Col span={6}>
            <Statistic
              title={t('会员 / 非会员')}
              value={report.members_vs_others.ratio === null ? '—' : `${report.members_vs_others.ratio}×`}
            />
          </Col>
        </Row>
      </Card>
    </Space>
  );
}
