/** WeChat's own limits on user tags: per account, and per fan; its batch calls take 50 openids. */
export const WECHAT_TAGS_PER_ACCOUNT = 100;
export const WECHAT_TAGS_PER_FAN = 20;
export const OPENIDS_PER_CALL = 50;

export const TAG_SYNC_JOB = 'crm.tag_sync';
export const TAG_UNSYNC_JOB = 'crm.tag_unsync';
/** Renames or deletes a tag's WeChat twins. */
export const TAG_REMOTE_JOB = 'crm.tag_remote';
/** Reads tags and their fans back from WeChat. */
export const TAG_PULL_JOB = 'crm.tag_pull';
/** Visits every account and queues its scheduled pull (a system job that re-queues itself). */
export const TAG_PULL_SWEEP_JOB = 'crm.tag_pull_sweep';
/**
 * How often each account's tags are read back from WeChat on their own: tags made in WeChat's
 * back office show in CRM within hours without anyone asking. Each pull costs a call per tag
 * and per 10,000 fans of it, against WeChat's daily quota: four a day leaves room for the
 * operator's own pulls.
 */
export const TAG_PULL_EVERY_MS = 6 * 3_600_000;
