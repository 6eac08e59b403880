import { dirname, join, resolve } from 'node:path';
import { loadConfig } from '../config.ts';
import { backupDatabase, backupName, restoreDatabase } from '../platform/db/backup.ts';
import { type Command, optional, required, write } from './command.ts';

export const backupCommands: Record<string, Command> = {
  backup: {
    summary: 'Copy the database to a file while the server runs (SQLite online backup / pg_dump)',
    usage: 'backup [--out FILE]',
    options: {
      out: {
        type: 'string',
        description:
          'Backup file (default: backups/weiloop-<UTC time>.db|.dump beside the SQLite file, or ./backups)',
      },
    },
    async run(values) {
      const { database, masterKey } = loadConfig(process.env);
      const now = new Date();
      const home = database.kind === 'sqlite' ? dirname(database.path) : resolve('.');
      const file = resolve(optional(values, 'out') ?? join(home, 'backups', backupName(now, database.kind)));
      await backupDatabase(database, file);
      write(`backup written: ${file}`);
      write(
        'copy it off this machine (another disk, another host or object storage); a backup beside the database dies with it',
      );
      // The secrets inside are sealed: a backup without its master key restores orders but not WeChat Pay.
      write(
        `its secrets are sealed with the master key (${masterKey.env ? 'WEILOOP_MASTER_KEY' : masterKey.file}): keep a copy of that too, stored apart from the backups`,
      );
    },
  },
  restore: {
    summary: 'Put a backup back (refuses a database in use unless --force; stop the servers first)',
    usage: 'restore --from FILE [--force]',
    options: {
      from: { type: 'string', description: 'A file written by `weiloop backup`' },
      force: { type: 'boolean', description: 'Replace a database Weiloop has already set up' },
    },
    async run(values) {
      const { database } = loadConfig(process.env);
      const file = resolve(required(values, 'from'));
      const result = await restoreDatabase(database, file, { force: values.force === true, now: new Date() });
      if (result.savedAs) write(`the database it replaced was saved to ${result.savedAs}`);
      write(`restored ${file}; start the server as usual (it applies any newer migrations)`);
    },
  },
};
