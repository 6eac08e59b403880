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
