import {
  App as AntApp,
  Button,
  Card,
  Checkbox,
  Input,
  Popconfirm,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { type Account, api, get, post } from '../api.ts';
import { type TagInfo, useTr } from './crmText.ts';

const STATE_COLOR: Record<string, string> = { synced: 'green', pending: 'gold', failed: 'red' };

/** Tags with their members and the WeChat mirror's state per account (WeChat: 100 per account, 20 per fan). */
export function TagsPage({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [tags, setTags] = useState<TagInfo[]>([]);
  const [name, setName] = useState('');
  const [sync, setSync] = useState(true);
  const load = useCallback(async () => setTags(await get<TagInfo[]>('/crm/tags')), []);
  useEffect(() => {
    void load();
    // Sync runs as jobs: look again shortly to show its progress.
    const timer = setInterval(() => void load(), 5000);
    return () => clearInterval(timer);
  }, [load]);
  const accountName = (id: string) => accounts.find((a) => a.id === id)?.name ?? id;
  const synced = tags.filter((t) => t.sync).length;
  return (
    <Card
      title={tr('标签', 'Tags')}
      extra={
        <Space>
          <Typography.Text type="secondary">
            {tr(`微信同步标签 ${synced}/100`, `WeChat-synced tags ${synced}/100`)}
          </Typography.Text>
          <Button
            aria-label="pull tags from wechat"
            onClick={async () => {
              try {
                await post('/crm/tags/pull');
                message.success(tr('正在从微信拉取标签及粉丝…', 'Reading tags and their fans from WeChat…'));
                setTimeout(() => void load(), 1500);
              } catch (error) {
                message.error((error as Error).message);
              }
            }}
          >
            {tr('从微信拉取', 'Pull from WeChat')}
          </Button>
        </Space>
      }
    >
      <Space style={{ marginBottom: 16 }}>
        <Input
          aria-label="tag name"
          placeholder={tr('标签名', 'Tag name')}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <Checkbox checked={sync} onChange={(e) => setSync(e.target.checked)}>
          {tr('同步到微信', 'Sync to WeChat')}
        </Checkbox>
        <Button
          type="primary"
          disabled={!name.trim()}
          onClick={async () => {
            try {
              await post('/crm/tags', { name, sync });
              setName('');
              await load();
            } catch (error) {
              message.error((error as Error).message);
            }
          }}
        >
          {tr('新建标签', 'New tag')}
        </Button>
      </Space>
      <Table<TagInfo>
        rowKey="id"
        dataSource={tags}
        pagination={false}
        columns={[
          {
            title: tr('标签', 'Tag'),
            render: (_, t) => (
              <Typography.Text
                editable={{
                  tooltip: tr('重命名（同步到微信）', 'Rename (synced to WeChat)'),
                  onChange: async (next) => {
                    if (!next.trim() || next === t.name) return;
                    try {
                      await api('PATCH', `/crm/tags/${t.id}`, { name: next });
                      await load();
                    } catch (error) {
                      message.error((error as Error).message);
                    }
                  },
                }}
              >
                {t.name}
              </Typography.Text>
            ),
          },
          { title: tr('会员数', 'Members'), dataIndex: 'members' },
          {
            title: tr('微信同步', 'WeChat sync'),
            render: (_, t) =>
              !t.sync ? (
                <Tag>{tr('仅本地', 'Local only')}</Tag>
              ) : (
                <Space wrap>
                  {t.wechat.length === 0 && <Tag color="gold">{tr('等待同步', 'Waiting')}</Tag>}
                  {t.wechat.map((w) => (
                    <Tag key={w.account_id} color={STATE_COLOR[w.state]} title={w.error ?? undefined}>
                      {accountName(w.account_id)}：{w.state}
                    </Tag>
                  ))}
                  {t.pending > 0 && (
                    <Tag color="gold">{tr(`${t.pending} 人待同步`, `${t.pending} pending`)}</Tag>
                  )}
                </Space>
              ),
          },
          {
            title: '',
            render: (_, t) => (
              <Popconfirm
                title={tr('删除此标签？', 'Delete this tag?')}
                onConfirm={async () => {
                  await api('DELETE', `/crm/tags/${t.id}`);
                  await load();
                }}
              >
                <Button size="small" danger>
                  {tr('删除', 'Delete')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
    </Card>
  );
}
