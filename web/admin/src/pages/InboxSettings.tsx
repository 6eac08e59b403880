import { App as AntApp, Button, Checkbox, Drawer, Form, Input, InputNumber, Select, Space } from 'antd';
import { useEffect, useState } from 'react';
import { api, get, post } from '../api.ts';
import { useTr } from './crmText.ts';

interface Settings {
  sla_minutes: number;
  business_hours: { days: number[]; start: string; end: string } | null;
  handoff_keywords: string[];
  notice_template_id: string | null;
}

const DAYS: Array<[number, string, string]> = [
  [1, '一', 'Mon'],
  [2, '二', 'Tue'],
  [3, '三', 'Wed'],
  [4, '四', 'Thu'],
  [5, '五', 'Fri'],
  [6, '六', 'Sat'],
  [7, '日', 'Sun'],
];

/** Reply SLA, business hours it counts in, the words that hand a fan to a person, the notice template. */
export function InboxSettings({ open, onClose }: { open: boolean; onClose: () => void }) {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [settings, setSettings] = useState<Settings | null>(null);
  useEffect(() => {
    if (open) void get<Settings>('/inbox/settings').then(setSettings);
  }, [open]);
  if (!settings) return null;
  const hours = settings.business_hours;
  const set = (patch: Partial<Settings>) => setSettings({ ...settings, ...patch });
  return (
    <Drawer open={open} onClose={onClose} title={tr('客服设置', 'Inbox settings')} size="large">
      <Form layout="vertical">
        <Form.Item label={tr('响应时限（分钟）', 'Reply SLA (minutes)')}>
          <InputNumber
            aria-label="sla minutes"
            min={1}
            max={1440}
            value={settings.sla_minutes}
            onChange={(v) => set({ sla_minutes: v ?? 10 })}
          />
        </Form.Item>
        <Form.Item
          label={tr('营业时间（只在此时间内计算等待）', 'Business hours (waiting counts only inside them)')}
        >
          <Checkbox
            checked={hours === null}
            onChange={(e) =>
              set({
                business_hours: e.target.checked
                  ? null
                  : { days: [1, 2, 3, 4, 5], start: '09:00', end: '18:00' },
              })
            }
          >
            {tr('全天候', 'Around the clock')}
          </Checkbox>
          {hours && (
            <Space orientation="vertical" style={{ marginTop: 8 }}>
              <Checkbox.Group
                value={hours.days}
                options={DAYS.map(([d, zh, en]) => ({ value: d, label: tr(`周${zh}`, en) }))}
                onChange={(days) => set({ business_hours: { ...hours, days: days as number[] } })}
              />
              <Space>
                <Input
                  aria-label="opens at"
                  type="time"
                  value={hours.start}
                  onChange={(e) => set({ business_hours: { ...hours, start: e.target.value } })}
                />
                –
                <Input
                  aria-label="closes at"
                  type="time"
                  value={hours.end}
                  onChange={(e) => set({ business_hours: { ...hours, end: e.target.value } })}
                />
              </Space>
            </Space>
          )}
        </Form.Item>
        <Form.Item
          label={tr(
            '转人工关键词（回复微信的“转客服”）',
            'Handoff words (answered with WeChat’s transfer to customer service)',
          )}
        >
          <Select
            aria-label="handoff words"
            mode="tags"
            value={settings.handoff_keywords}
            onChange={(words: string[]) => set({ handoff_keywords: words })}
          />
        </Form.Item>
        <Form.Item
          label={tr(
            '48 小时外的模板消息 ID（服务号）',
            'Template id for notices after 48 hours (service accounts)',
          )}
        >
          <Input
            aria-label="notice template"
            value={settings.notice_template_id ?? ''}
            onChange={(e) => set({ notice_template_id: e.target.value || null })}
          />
        </Form.Item>
        <Button
          type="primary"
          aria-label="save inbox settings"
          onClick={async () => {
            try {
              setSettings(await api<Settings>('PUT', '/inbox/settings', settings));
              message.success(tr('已保存', 'Saved'));
              onClose();
            } catch (error) {
              message.error((error as Error).message);
            }
          }}
        >
          {tr('保存', 'Save')}
        </Button>
      </Form>
    </Drawer>
  );
}

/** Outside WeChat's 48-hour window: say so, and offer a template notice where one fits. */
export function NoticeComposer(props: {
  conversationId: string;
  notice: { available: boolean; reason: string | null };
  onSent: () => void;
}) {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const [text, setText] = useState('');
  const why =
    props.notice.reason === 'subscription_account'
      ? tr('订阅号不能发送模板消息。', 'Subscription accounts cannot send template notices.')
      : props.notice.reason === 'no_template'
        ? tr('请先在客服设置中填写模板消息 ID。', 'Set a template id in the inbox settings first.')
        : '';
  return (
    <Space orientation="vertical" style={{ width: '100%', marginTop: 8 }}>
      <div data-testid="window-closed" style={{ color: '#d48806' }}>
        {tr(
          '粉丝最后一次互动已超过 48 小时，微信不允许再发客服消息；可以发送模板消息通知，请粉丝回复后继续对话。',
          "More than 48 hours since the fan's last message: WeChat allows no customer-service message; send a template notice asking the fan to write back.",
        )}{' '}
        {why}
      </div>
      {props.notice.available && (
        <Space.Compact style={{ width: '100%' }}>
          <Input
            aria-label="notice"
            maxLength={200}
            placeholder={tr(
              '通知内容，如：您咨询的问题有答复了',
              'Notice text, e.g. we have an answer for you',
            )}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
          <Button
            aria-label="send notice"
            disabled={!text.trim()}
            onClick={async () => {
              try {
                await post(`/inbox/conversations/${props.conversationId}/notice`, { text });
                setText('');
                message.success(tr('模板通知已发送', 'Template notice sent'));
                props.onSent();
              } catch (error) {
                message.error((error as Error).message);
              }
            }}
          >
            {tr('发送模板通知', 'Send template notice')}
          </Button>
        </Space.Compact>
      )}
    </Space>
  );
}
