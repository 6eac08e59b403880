import { Card, Col, Row, Select, Statistic } from 'antd';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef, useState } from 'react';
import { type Account, fen, get } from '../api.ts';
import { useT } from '../i18n.ts';
import { InboxStatsCard } from './InboxStatsCard.tsx';

echarts.use([
  LineChart,
  BarChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  CanvasRenderer,
]);

type Series = Array<{ day: string; value: number }>;
interface Overview {
  followers: {
    total: number;
    subscribed: number;
    new_by_day: Series;
    by_source: Array<{ source: string; value: number }>;
  };
  messages_in_by_day: Series;
  messages_out_by_day: Series;
  orders: { placed_by_day: Series; paid_by_day: Series; sales_by_day: Series };
  funnel: { placed: number; paid: number; cancelled_unpaid: number; paid_rate: number | null };
  yardsticks: {
    sends: number;
    reach: Yardstick;
    read: Yardstick;
    open: Yardstick;
    paid_completion: Yardstick;
  };
}
interface Yardstick {
  value: number | null;
  target: number | null;
}

/** A measured rate beside the seeds' bar: green when it meets it, red when not, — when unmeasured. */
function Measure({ title, stick }: { title: string; stick: Yardstick }) {
  const met = stick.value !== null && stick.target !== null && stick.value >= stick.target;
  return (
    <Card size="small">
      <Statistic
        title={`${title}${stick.target === null ? '' : `（≥ ${Math.round(stick.target * 100)}%）`}`}
        value={stick.value === null ? '—' : `${Math.round(stick.value * 100)}%`}
        valueStyle={
          stick.value === null || stick.target === null ? undefined : { color: met ? '#3f8600' : '#cf1322' }
        }
      />
    </Card>
  );
}

function Chart({ option, label }: { option: echarts.EChartsCoreOption; label: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current);
    chart.setOption(option);
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.dispose();
    };
  }, [option]);
  return <div ref={ref} role="img" aria-label={label} className="chart" style={{ height: 260 }} />;
}

const line = (series: Array<{ name: string; data: Series }>): echarts.EChartsCoreOption => ({
  tooltip: { trigger: 'axis' },
  legend: { bottom: 0 },
  grid: { left: 40, right: 16, top: 16, bottom: 40 },
  xAxis: { type: 'category', data: series[0]?.data.map((d) => d.day.slice(5)) ?? [] },
  yAxis: { type: 'value', minInterval: 1 },
  series: series.map((s) => ({ type: 'line', name: s.name, smooth: true, data: s.data.map((d) => d.value) })),
});

export function DashboardPage({ accounts }: { accounts: Account[] }) {
  const t = useT();
  const [days, setDays] = useState(30);
  const [accountId, setAccountId] = useState<string | undefined>();
  const [data, setData] = useState<Overview | null>(null);
  useEffect(() => {
    const to = Date.now() + 60_000;
    const from = to - days * 86_400_000;
    const query = new URLSearchParams({
      from: String(from),
      to: String(to),
      ...(accountId ? { account_id: accountId } : {}),
    });
    get<Overview>(`/analytics/overview?${query}`).then(setData, () => setData(null));
  }, [days, accountId]);
  if (!data) return null;
  const sales = data.orders.sales_by_day.reduce((sum, d) => sum + d.value, 0);
  return (
    <>
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col>
          <Select
            value={days}
            onChange={setDays}
            options={[7, 30, 90].map((d) => ({ value: d, label: `${d} 天` }))}
          />
        </Col>
        <Col>
          <Select
            allowClear
            placeholder="全部公众号"
            style={{ minWidth: 200 }}
            value={accountId}
            onChange={setAccountId}
            options={accounts.map((a) => ({ value: a.id, label: a.name }))}
          />
        </Col>
      </Row>
      <Row gutter={16}>
        <Col span={6}>
          <Card>
            <Statistic
              title={t('粉丝')}
              value={data.followers.subscribed}
              suffix={`/ ${data.followers.total}`}
            />
          </Card>
        </Col>
        <Col span={6}>
          <Card>
            <Statistic title={t('下单')} value={data.funnel.placed} />
          </Card>
        </Col>
        <Col span={6}>
          <Card>
            <Statistic
              title={t('支付')}
              value={data.funnel.paid}
              suffix={data.funnel.paid_rate === null ? '' : `（${Math.round(data.funnel.paid_rate * 100)}%）`}
            />
          </Card>
        </Col>
        <Col span={6}>
          <Card>
            <Statistic title={t('销售额')} value={fen(sales)} />
          </Card>
        </Col>
      </Row>
      <Row gutter={16} style={{ marginTop: 16 }} data-testid="yardsticks">
        <Col span={6}>
          <Measure title={t('群发到达率')} stick={data.yardsticks.reach} />
        </Col>
        <Col span={6}>
          <Measure title={t('阅读率')} stick={data.yardsticks.read} />
        </Col>
        <Col span={6}>
          <Measure title={t('点击率')} stick={data.yardsticks.open} />
        </Col>
        <Col span={6}>
          <Measure title={t('下单→支付')} stick={data.yardsticks.paid_completion} />
        </Col>
      </Row>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={12}>
          <Card title={t('新增粉丝')}>
            <Chart
              label={t('新增粉丝')}
              option={line([{ name: t('新增粉丝'), data: data.followers.new_by_day }])}
            />
          </Card>
        </Col>
        <Col span={12}>
          <Card title={t('粉丝来源')}>
            <Chart
              label={t('粉丝来源')}
              option={{
                tooltip: { trigger: 'item' },
                series: [
                  {
                    type: 'pie',
                    radius: ['40%', '70%'],
                    data: data.followers.by_source.map((s) => ({ name: s.source, value: s.value })),
                  },
                ],
              }}
            />
          </Card>
        </Col>
        <Col span={12} style={{ marginTop: 16 }}>
          <Card title={t('下单与支付')}>
            <Chart
              label={t('下单与支付')}
              option={line([
                { name: t('下单'), data: data.orders.placed_by_day },
                { name: t('支付'), data: data.orders.paid_by_day },
              ])}
            />
          </Card>
        </Col>
        <Col span={12} style={{ marginTop: 16 }}>
          <Card title={t('消息收发')}>
            <Chart
              label={t('消息收发')}
              option={line([
                { name: t('收到消息'), data: data.messages_in_by_day },
                { name: t('回复消息'), data: data.messages_out_by_day },
              ])}
            />
          </Card>
        </Col>
      </Row>
      <InboxStatsCard />
    </>
  );
}
