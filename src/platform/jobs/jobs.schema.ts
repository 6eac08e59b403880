export type JobStatus = 'queued' | 'running' | 'done' | 'failed';

export interface JobsTable {
  id: string;
  merchant_id: string | null;
  type: string;
  /** JSON of ids only: the handler reads fresh rows. */
  payload: string;
  idempotency_key: string;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_at: number;
  locked_by: string | null;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
}

export interface JobTables {
  jobs: JobsTable;
}
