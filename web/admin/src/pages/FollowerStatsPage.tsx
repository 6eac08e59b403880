import { App, Button, Card, Col, Row, Segmented, Select, Space, Statistic, Table } from 'antd';
import { MarkLineComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { type Account, get, post } from '../api.ts';
import { CsvButton, downloadCsv, EChart, type EChartsCoreOption } from './charts.tsx';
import { useTr } from './crmText.ts';

echarts.use([MarkLineComponent]);

interface Point {
  period: string;
  new: number;
  lost: number;
  net: number;
  cumulative: number;
  growth: number | null;
}
interface WechatPoint {
  period: string;
  new_user: number | null;
  cancel_user: number | null;
  net: number | null;
  cumulate_user: number | null;
}
interface Report {
  timezone: string;
  granularity: 'day' | 'week';
  from_day: string;
  to_day: string;
  summary: {
    new: number;
    lost: number;
    net: number;
    start: number;
    end: number;
    compound_growth: number | null;
    compound_daily_rate: number | null;
    target: number;
  };
  series: Point[];
  by_qrcode: Array<{ qrcode_id: string | null; name: string | null; new: number; lost: number; net: number }>;
  wechat: WechatPoint[];
}

const pct = (v: number | null, digits = 1) => (v === null ? '—' : `${(v * 100).toFixed(digits)}%`);

/**
 * Follower growth from the daily rollups: new, lost, net and cumulative lines, compound growth
 * against the seeds' 20% bar, the channel QR codes that brought them, WeChat's own figures beside
 * ours; every chart and table exports CSV. Days are the merchant's (the report says which zone).
 */
export function FollowerStatsPage({ accounts, canPull }: { accounts: Account[]; canPull: boolean }) {
  const tr = useTr();
  const { message } = App.useApp();
  const [days, setDays] = useState(30);
  const [granularity, setGranularity] = useState<'day' | 'week'>('day');
  const [accountId, setAccountId] = useState<string | undefined>();
  const [data, setData] = useState<Report | null>(null);
  const [pulling, setPulling] = useState(false);
  const load = useCallback(() => {
    const to = Date.now() + 60_000;
    const query = new URLSearchParams({
      from: String(to - days * 86_400_000),
      to: String(to),
      granularity,
      ...(accountId ? { account_id: accountId } : {}),
    });
    get<Report>(`/analytics/followers?${query}`).then(setData, () => setData(null));
  }, [days, granularity, accountId]);
  useEffect(load, [load]);

  const pull = async () => {
    setPulling(true);
    try {
      await post('/analytics/wechat-users/pull', accountId ? { account_id: accountId } : {});
      message.success(tr('已拉取微信数据', 'WeChat’s figures pulled'));
      load();
    } catch (error) {
      message.error((error as Error).message);
    } finally {
      setPulling(false);
    }
  };

  const lines = useMemo<EChartsCoreOption | null>(
    () =>
      data && {
        tooltip: { trigger: 'axis' },
        legend: { bottom: 0 },
        grid: { left: 48, right: 56, top: 24, bottom: 48 },
        xAxis: { type: 'category', data: data.series.map((p) => p.period.slice(5)) },
        yAxis: [
          { type: 'value', minInterval: 1, name: tr('人', 'fans') },
          { type: 'value', minInterval: 1, name: tr('累计', 'total') },
        ],
        series: [
          { type: 'line', name: tr('新增', 'New'), data: data.series.map((p) => p.new) },
          { type: 'line', name: tr('取关', 'Lost'), data: data.series.map((p) => p.lost) },
          { type: 'line', name: tr('净增', 'Net'), data: data.series.map((p) => p.net) },
          {
            type: 'line',
            name: tr('累计', 'Cumulative'),
            yAxisIndex: 1,
            data: data.series.map((p) => p.cumulative),
          },
        ],
      },
    [data, tr],
  );

  // Growth since the range began, compounded period by period, against the seeds' bar.
  const compound = useMemo<EChartsCoreOption | null>(() => {
    if (!data) return null;
    const start = data.summary.start;
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${v}%` },
      grid: { left: 48, right: 24, top: 24, bottom: 32 },
      xAxis: { type: 'category', data: data.series.map((p) => p.period.slice(5)) },
      yAxis: { type: 'value', axisLabel: { formatter: '{value}%' } },
      series: [
        {
          type: 'line',
          name: tr('复合增长', 'Compound growth'),
          data: data.series.map((p) =>
            start > 0 ? Math.round((p.cumulative / start - 1) * 1000) / 10 : null,
          ),
          markLine: {
            symbol: 'none',
            data: [{ yAxis: data.summary.target * 100, name: tr('目标 20%', 'Target 20%') }],
            label: { formatter: tr('活动目标 ≥ 20%', 'Promotion bar ≥ 20%'), position: 'insideEndTop' },
            lineStyle: { color: '#cf1322', type: 'dashed' },
          },
        },
      ],
    };
  }, [data, tr]);

  const beside = useMemo<EChartsCoreOption | null>(
    () =>
      data && {
        tooltip: { trigger: 'axis' },
        legend: { bottom: 0 },
        grid: { left: 48, right: 24, top: 24, bottom: 48 },
        xAxis: { type: 'category', data: data.series.map((p) => p.period.slice(5)) },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          { type: 'bar', name: tr('新增（本系统）', 'New (ours)'), data: data.series.map((p) => p.new) },
          { type: 'bar', name: tr('新增（微信）', 'New (WeChat)'), data: data.wechat.map((p) => p.new_user) },
          { type: 'bar', name: tr('取关（本系统）', 'Lost (ours)'), data: data.series.map((p) => p.lost) },
          {
            type: 'bar',
            name: tr('取关（微信）', 'Lost (WeChat)'),
            data: data.wechat.map((p) => p.cancel_user),
          },
        ],
      },
    [data, tr],
  );

  if (!data) return null;
  const s = data.summary;
  const met = s.compound_growth !== null && s.compound_growth >= s.target;
  const name = (label: string) => `followers-${label}-${data.from_day}-${data.to_day}`;
  const seriesCsv = () =>
    downloadCsv(
      name(granularity),
      [
        tr('日期', 'Period'),
        tr('新增', 'New'),
        tr('取关', 'Lost'),
        tr('净增', 'Net'),
        tr('累计', 'Cumulative'),
        tr('增长率', 'Growth'),
      ],
      data.series.map((p) => [p.period, p.new, p.lost, p.net, p.cumulative, p.growth ?? '']),
    );
  const compoundCsv = () =>
    downloadCsv(
      name('compound'),
      [
        tr('日期', 'Period'),
        tr('累计', 'Cumulative'),
        tr('复合增长', 'Compound growth'),
        tr('目标', 'Target'),
      ],
      data.series.map((p) => [
        p.period,
        p.cumulative,
        s.start > 0 ? Math.round((p.cumulative / s.start - 1) * 10_000) / 10_000 : '',
        s.target,
      ]),
    );
  const qrCsv = () =>
    downloadCsv(
      name('qrcodes'),
      [tr('渠道二维码', 'Channel QR code'), tr('新增', 'New'), tr('取关', 'Lost'), tr('净增', 'Net')],
      data.by_qrcode.map((q) => [q.name ?? tr('直接关注', 'Direct follow'), q.new, q.lost, q.net]),
    );
  const wechatCsv = () =>
    downloadCsv(
      name('wechat'),
      [
        tr('日期', 'Period'),
        tr('新增（本系统）', 'New (ours)'),
        tr('新增（微信）', 'New (WeChat)'),
        tr('取关（本系统）', 'Lost (ours)'),
        tr('取关（微信）', 'Lost (WeChat)'),
        tr('累计（本系统）', 'Cumulative (ours)'),
        tr('累计（微信）', 'Cumulative (WeChat)'),
      ],
      data.series.map((p, i) => {
        const w = data.wechat[i];
        return [
          p.period,
          p.new,
          w?.new_user ?? '',
          p.lost,
          w?.cancel_user ?? '',
          p.cumulative,
          w?.cumulate_user ?? '',
        ];
      }),
    );
  const csvLabel = tr('导出 CSV', 'Export CSV');
  return (
    <div className="follower-stats">
      <Row gutter={16} style={{ marginBottom: 16 }} align="middle">
        <Col>
          <Select
            value={days}
            onChange={setDays}
            options={[7, 30, 90, 180].map((d) => ({ value: d, label: tr(`${d} 天`, `${d} days`) }))}
          />
        </Col>
        <Col>
          <Segmented
            value={granularity}
            onChange={(v) => setGranularity(v as 'day' | 'week')}
            options={[
              { value: 'day', label: tr('按日', 'Daily') },
              { value: 'week', label: tr('按周', 'Weekly') },
            ]}
          />
        </Col>
        <Col>
          <Select
            allowClear
            placeholder={tr('全部公众号', 'All accounts')}
            style={{ minWidth: 200 }}
            value={accountId}
            onChange={setAccountId}
            options={accounts.map((a) => ({ value: a.id, label: a.name }))}
          />
        </Col>
        {canPull && (
          <Col>
            <Button onClick={pull} loading={pulling}>
              {tr('从微信拉取', 'Pull from WeChat')}
            </Button>
          </Col>
        )}
        <Col>
          <span style={{ color: '#888' }}>{tr(`时区：${data.timezone}`, `Time zone: ${data.timezone}`)}</span>
        </Col>
      </Row>
      <Row gutter={16} style={{ marginBottom: 16 }}>
        {[
          [tr('新增', 'New'), s.new],
          [tr('取关', 'Lost'), s.lost],
          [tr('净增', 'Net'), s.net],
          [tr('累计粉丝', 'Followers'), s.end],
        ].map(([title, value]) => (
          <Col span={4} key={String(title)}>
            <Card size="small">
              <Statistic title={title} value={value as number} />
            </Card>
          </Col>
        ))}
        <Col span={4}>
          <Card size="small" className="compound-growth">
            <Statistic
              title={tr(
                `复合增长（活动目标 ≥ ${s.target * 100}%）`,
                `Compound growth (promotion bar ≥ ${s.target * 100}%)`,
              )}
              value={pct(s.compound_growth)}
              valueStyle={s.compound_growth === null ? undefined : { color: met ? '#3f8600' : '#cf1322' }}
            />
          </Card>
        </Col>
        <Col span={4}>
          <Card size="small">
            <Statistic
              title={tr('日复合增长率', 'Compound daily rate')}
              value={pct(s.compound_daily_rate, 2)}
            />
          </Card>
        </Col>
      </Row>
      <p style={{ color: '#888', marginTop: -8 }}>
        {tr(
          '复合增长 = 期末粉丝 ÷ 期初粉丝 − 1（即期间净增 ÷ 期初粉丝）；日复合增长率 = (期末 ÷ 期初)^(1/天数) − 1。取关计入首次带来该粉丝的渠道二维码；再次关注计为新增。',
          'Compound growth = followers at the end ÷ at the start − 1 (the net ÷ the followers the range began with); compound daily rate = (end ÷ start)^(1/days) − 1. An unfollow counts against the QR code that first brought the fan; a refollow counts as new.',
        )}
      </p>
      <Row gutter={16}>
        <Col span={14}>
          <Card
            title={tr('新增 / 取关 / 净增 / 累计', 'New / lost / net / cumulative')}
            extra={<CsvButton onClick={seriesCsv} label={csvLabel} />}
          >
            {lines && <EChart option={lines} label={tr('粉丝增长', 'Follower growth')} />}
          </Card>
        </Col>
        <Col span={10}>
          <Card
            title={tr('复合增长', 'Compound growth')}
            extra={<CsvButton onClick={compoundCsv} label={csvLabel} />}
          >
            {compound && <EChart option={compound} label={tr('复合增长', 'Compound growth')} />}
          </Card>
        </Col>
      </Row>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={10}>
          <Card
            title={tr('渠道二维码', 'By channel QR code')}
            extra={<CsvButton onClick={qrCsv} label={csvLabel} />}
          >
            <Table
              className="by-qrcode"
              size="small"
              pagination={{ pageSize: 8 }}
              rowKey={(q) => q.qrcode_id ?? 'direct'}
              dataSource={data.by_qrcode}
              columns={[
                {
                  title: tr('渠道二维码', 'Channel QR code'),
                  render: (_, q) => q.name ?? tr('直接关注', 'Direct follow'),
                },
                { title: tr('新增', 'New'), dataIndex: 'new' },
                { title: tr('取关', 'Lost'), dataIndex: 'lost' },
                { title: tr('净增', 'Net'), dataIndex: 'net' },
              ]}
            />
          </Card>
        </Col>
        <Col span={14}>
          <Card
            title={tr('本系统 vs 微信数据（北京时间）', 'Ours vs WeChat’s figures (Beijing time)')}
            extra={
              <Space>
                <CsvButton onClick={wechatCsv} label={csvLabel} />
              </Space>
            }
          >
            {beside && <EChart option={beside} label={tr('本系统与微信对比', 'Ours beside WeChat')} />}
            <Table
              className="wechat-figures"
              size="small"
              pagination={false}
              scroll={{ y: 200 }}
              rowKey="period"
              dataSource={data.series.map((p, i) => ({ ...p, wechat: data.wechat[i] })).reverse()}
              columns={[
                { title: tr('日期', 'Period'), dataIndex: 'period' },
                { title: tr('累计（本系统）', 'Cumulative (ours)'), dataIndex: 'cumulative' },
                {
                  title: tr('累计（微信）', 'Cumulative (WeChat)'),
                  render: (_, row) => row.wechat?.cumulate_user ?? '—',
                },
                {
                  title: tr('新增（微信）', 'New (WeChat)'),
                  render: (_, row) => row.wechat?.new_user ?? '—',
                },
                {
                  title: tr('取关（微信）', 'Lost (WeChat)'),
                  render: (_, row) => row.wechat?.cancel_user ?? '—',
                },
              ]}
            />
          </Card>
        </Col>
      </Row>
    </div>
  );
}
