import { Alert, App as AntApp, Button, Progress, Space } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { get } from '../api.ts';
import { useTr } from './crmText.ts';

interface Import {
  id: string;
  status: string;
  progress: number;
  rows_ok: number;
  rows_failed: number;
}

/** Upload a members CSV; the import runs as a job, shown as a progress bar with its failed lines. */
export function ImportPanel({ segmentId, onDone }: { segmentId?: string; onDone: () => void }) {
  const tr = useTr();
  const { message } = AntApp.useApp();
  const input = useRef<HTMLInputElement>(null);
  const [job, setJob] = useState<Import | null>(null);

  useEffect(() => {
    if (!job || job.status === 'done' || job.status === 'failed') return;
    const timer = setTimeout(async () => {
      const next = await get<Import>(`/crm/imports/${job.id}`);
      setJob(next);
      if (next.status === 'done') onDone();
    }, 1000);
    return () => clearTimeout(timer);
  }, [job, onDone]);

  const upload = async (file: File) => {
    // The file goes as the raw body: the server streams it into chunks, never whole in memory.
    const response = await fetch('/api/v1/crm/imports', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv' },
      body: file,
    });
    const body = await response.json();
    if (!response.ok) message.error(body.error?.message ?? response.statusText);
    else setJob(body as Import);
  };

  return (
    <Space orientation="vertical" style={{ width: '100%', marginBottom: 12 }}>
      <Space>
        <input
          ref={input}
          type="file"
          accept=".csv,text/csv"
          style={{ display: 'none' }}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void upload(file);
            e.target.value = '';
          }}
        />
        <Button onClick={() => input.current?.click()}>{tr('导入 CSV', 'Import CSV')}</Button>
        <Button href={`/api/v1/crm/members/export.csv${segmentId ? `?segment_id=${segmentId}` : ''}`}>
          {tr('导出 CSV', 'Export CSV')}
        </Button>
      </Space>
      {job && (
        <Alert
          type={job.rows_failed > 0 ? 'warning' : job.status === 'done' ? 'success' : 'info'}
          title={
            <Space orientation="vertical" style={{ width: '100%' }}>
              <Progress
                percent={Math.round(job.progress * 100)}
                status={job.status === 'done' ? 'success' : 'active'}
              />
              <span>
                {tr(
                  `成功 ${job.rows_ok} 行，失败 ${job.rows_failed} 行`,
                  `${job.rows_ok} rows in, ${job.rows_failed} failed`,
                )}
                {job.rows_failed > 0 && (
                  <a style={{ marginLeft: 8 }} href={`/api/v1/crm/imports/${job.id}/errors.csv`}>
                    {tr('下载失败行', 'Download failed lines')}
                  </a>
                )}
              </span>
            </Space>
          }
        />
      )}
    </Space>
  );
}
