import { Card, Col, Descriptions, Drawer, Row, Space, Statistic, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { fen, get } from '../api.ts';
import { CsvButton, downloadCsv, EChart } from './charts.tsx';
import { useTr } from './crmText.ts';

interface Report {
  id: string;
  title: string;
  status: string;
  audience: number;
  delivered: number;
  read: number;
  clicked: number;
  ordered: number;
  paid: number;
  revenue: number;
  clicks: number;
  wechat: { calls: number; total: number; filtered: number; sent: number; errors: number };
  reads_by_day: Array<{ day: string; users: number; cumulative: number }>;
  rates: { reach: number; read: number; participation: number; order: number; paid: number };
  yardsticks: { reach: number; read: number; participation: number };
}

const pct = (v: number) => `${Math.round(v * 1000) / 10}%`;

/** A rate beside the seeds' bar: green when it meets it, red when not. */
function Yardstick({ title, value, target }: { title: string; value: number; target: number }) {
  return (
    <Card size="small">
      <Statistic
        title={`${title}（≥ ${Math.round(target * 100)}%）`}
        value={pct(value)}
        valueStyle={{ color: value >= target ? '#3f8600' : '#cf1322' }}
      />
    </Card>
  );
}

/** One send's report: the funnel, the seeds' yardsticks, the read curve, revenue; CSV of each chart. */
export function SendReport({ id, onClose }: { id: string | null; onClose: () => void }) {
  const tr = useTr();
  const [report, setReport] = useState<Report | null>(null);
  useEffect(() => {
    setReport(null);
    if (id) get<Report>(`/broadcasts/${id}/report`).then(setReport, () => setReport(null));
  }, [id]);
  const steps: Array<[string, number]> = report
    ? [
        [tr('受众', 'Audience'), report.audience],
        [tr('送达', 'Delivered'), report.delivered],
        [tr('阅读', 'Read'), report.read],
        [tr('点击进店', 'Clicked'), report.clicked],
        [tr('下单', 'Ordered'), report.ordered],
        [tr('支付', 'Paid'), report.paid],
      ]
    : [];
  return (
    <Drawer
      open={id !== null}
      onClose={onClose}
      width={760}
      title={report?.title ?? tr('发送报告', 'Send report')}
    >
      {report && (
        <Space direction="vertical" style={{ width: '100%' }} data-testid="send-report">
          <Row gutter={12}>
            <Col span={8}>
              <Yardstick
                title={tr('到达率', 'Reach')}
                value={report.rates.reach}
                target={report.yardsticks.reach}
              />
            </Col>
            <Col span={8}>
              <Yardstick
                title={tr('阅读率', 'Read')}
                value={report.rates.read}
                target={report.yardsticks.read}
              />
            </Col>
            <Col span={8}>
              <Yardstick
                title={tr('参与率', 'Participation')}
                value={report.rates.participation}
                target={report.yardsticks.participation}
              />
            </Col>
          </Row>
          <Card
            size="small"
            title={tr('转化漏斗', 'Funnel')}
            extra={
              <CsvButton
                label={tr('导出 CSV', 'Export CSV')}
                onClick={() => downloadCsv(`funnel-${report.id}`, ['step', 'fans'], steps)}
              />
            }
          >
            <EChart
              label={tr('转化漏斗', 'Funnel')}
              option={{
                tooltip: { trigger: 'item' },
                series: [
                  {
                    type: 'funnel',
                    sort: 'none',
                    minSize: '8%',
                    label: { formatter: '{b}: {c}' },
                    data: steps.map(([name, value]) => ({ name, value })),
                  },
                ],
              }}
            />
            <Descriptions size="small" column={3}>
              <Descriptions.Item label={tr('成交金额', 'Revenue')}>
                <span data-testid="revenue">{fen(report.revenue)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={tr('下单率', 'Order rate')}>
                {pct(report.rates.order)}
              </Descriptions.Item>
              <Descriptions.Item label={tr('支付率', 'Paid rate')}>
                {pct(report.rates.paid)}
              </Descriptions.Item>
              <Descriptions.Item label={tr('微信报告', "WeChat's report")}>
                {report.wechat.calls ? (
                  <Tag>
                    {tr(
                      `发送 ${report.wechat.sent} · 过滤 ${report.wechat.filtered} · 失败 ${report.wechat.errors}`,
                      `sent ${report.wechat.sent} · filtered ${report.wechat.filtered} · errors ${report.wechat.errors}`,
                    )}
                  </Tag>
                ) : (
                  '—'
                )}
              </Descriptions.Item>
              <Descriptions.Item label={tr('“阅读原文”点击', '"Read more" taps')}>
                {report.clicks}
              </Descriptions.Item>
            </Descriptions>
          </Card>
          <Card
            size="small"
            title={tr('阅读人数（按天累计）', 'Readers (cumulative by day)')}
            extra={
              <CsvButton
                label={tr('导出 CSV', 'Export CSV')}
                onClick={() =>
                  downloadCsv(
                    `reads-${report.id}`,
                    ['day', 'readers', 'cumulative'],
                    report.reads_by_day.map((d) => [d.day, d.users, d.cumulative]),
                  )
                }
              />
            }
          >
            <EChart
              label={tr('阅读曲线', 'Read curve')}
              option={{
                tooltip: { trigger: 'axis' },
                legend: { bottom: 0 },
                grid: { left: 40, right: 16, top: 16, bottom: 40 },
                xAxis: { type: 'category', data: report.reads_by_day.map((d) => d.day.slice(5)) },
                yAxis: { type: 'value', minInterval: 1 },
                series: [
                  {
                    type: 'bar',
                    name: tr('当日阅读', 'Readers that day'),
                    data: report.reads_by_day.map((d) => d.users),
                  },
                  {
                    type: 'line',
                    name: tr('累计', 'Cumulative'),
                    smooth: true,
                    data: report.reads_by_day.map((d) => d.cumulative),
                  },
                ],
              }}
            />
          </Card>
        </Space>
      )}
    </Drawer>
  );
}
