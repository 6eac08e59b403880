import { App as AntApp, Button, Card, Drawer, Empty, Space, Table, Tag, Typography } from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { fen, get, post, time } from '../api.ts';
import { type MemberSummary, memberName, useTr } from './crmText.ts';
import { MemberProfile } from './MemberProfile.tsx';

interface CareItem {
  member: MemberSummary;
  reason: 'birthday' | 'unpaid' | 'repurchase' | 'silent';
  suggestion: string;
}

const REASONS: Record<CareItem['reason'], { zh: string; en: string; color: string }> = {
  birthday: { zh: '今天生日', en: 'Birthday today', color: 'magenta' },
  unpaid: { zh: '昨天未付款', en: 'Unpaid order', color: 'orange' },
  repurchase: { zh: '该回购了', en: 'Repurchase due', color: 'green' },
  silent: { zh: '很久没联系', en: 'Gone quiet', color: 'default' },
};

/** Nancy's morning list: the operator's own ten customers to greet today, each with a suggested message. */
export function CarePage() {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [data, setData] = useState<{ day: string; limit: number; done: number; items: CareItem[] } | null>(
    null,
  );
  const [open, setOpen] = useState<string | null>(null);
  const load = useCallback(async () => setData(await get('/crm/care?limit=10')), []);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <Card
      title={tr('我的今日关怀', 'My care list today')}
      extra={
        data && (
          <Typography.Text type="secondary">{`${data.day} · ${tr('已问候', 'greeted')} ${data.done}/${data.limit}`}</Typography.Text>
        )
      }
    >
      {data && data.items.length === 0 && (
        <Empty description={tr('今天都问候过了', 'Everyone greeted today')} />
      )}
      {data && data.items.length > 0 && (
        <Table<CareItem>
          rowKey={(i) => i.member.id}
          dataSource={data.items}
          pagination={false}
          columns={[
            {
              title: tr('会员', 'Member'),
              render: (_, i) => (
                <Button type="link" onClick={() => setOpen(i.member.id)}>
                  {memberName(i.member)}
                </Button>
              ),
            },
            {
              title: tr('原因', 'Why'),
              render: (_, i) => (
                <Tag color={REASONS[i.reason].color}>{tr(REASONS[i.reason].zh, REASONS[i.reason].en)}</Tag>
              ),
            },
            { title: tr('消费', 'Spend'), render: (_, i) => fen(i.member.spend) },
            { title: tr('最近互动', 'Last contact'), render: (_, i) => time(i.member.last_contact_at) },
            { title: tr('建议话术', 'Suggested message'), dataIndex: 'suggestion' },
            {
              title: '',
              render: (_, i) => (
                <Space>
                  <Button
                    size="small"
                    onClick={async () => {
                      await navigator.clipboard?.writeText(i.suggestion).catch(() => undefined);
                      message.success(tr('已复制', 'Copied'));
                    }}
                  >
                    {tr('复制', 'Copy')}
                  </Button>
                  <Button
                    size="small"
                    type="primary"
                    onClick={async () => {
                      await post(`/crm/care/${i.member.id}/done`, { reason: i.reason });
                      await load();
                    }}
                  >
                    {tr('已问候', 'Done')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      )}
      <Drawer
        size="large"
        open={open !== null}
        onClose={() => setOpen(null)}
        title={tr('会员档案', 'Member profile')}
        destroyOnHidden
      >
        {open && <MemberProfile memberId={open} />}
      </Drawer>
    </Card>
  );
}
