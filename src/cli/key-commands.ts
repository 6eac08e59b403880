import type { Kysely } from 'kysely';
import { loadConfig } from '../config.ts';
import type { DB } from '../database.ts';
import { openDatabase } from '../platform/db/database.ts';
import {
  loadMasterKeys,
  newMasterKeyText,
  parseMasterKey,
  promoteNextKey,
  stageNextKey,
} from '../platform/vault/master-key.ts';
import type { VaultTables } from '../platform/vault/vault.schema.ts';
import { createVault } from '../platform/vault/vault.ts';
import { type Command, optional, write } from './command.ts';

export const keyCommands: Record<string, Command> = {
  'keys rotate': {
    summary: 'Re-wrap every merchant data key with a new master key (stop the servers first)',
    usage: 'keys rotate [--new-key <32 bytes base64>]',
    options: {
      'new-key': {
        type: 'string',
        description: 'The new master key (default: a random one); required when WEILOOP_MASTER_KEY is set',
      },
    },
    async run(values) {
      const config = loadConfig(process.env);
      const source = config.masterKey;
      const given = optional(values, 'new-key');
      if (source.env && !given)
        throw new Error(
          'WEILOOP_MASTER_KEY is set: pass the new key with --new-key and set it after the rotation',
        );
      const text = given ?? newMasterKeyText();
      const next = parseMasterKey(text);
      // The new key is on disk before anything depends on it, so an interrupted rotation resumes.
      stageNextKey(source, text);
      const database = openDatabase<DB>(config.database);
      try {
        const vault = createVault(
          database.db as unknown as Kysely<VaultTables>,
          loadMasterKeys(source),
          Date.now,
        );
        const count = await vault.rewrap(next, Date.now());
        write(`re-wrapped ${count} data key(s) with master key ${next.id}`);
      } finally {
        await database.close();
      }
      if (source.env) {
        write(`now set WEILOOP_MASTER_KEY to the new key, restart, then delete ${source.file}.next`);
      } else {
        promoteNextKey(source);
        write(`${source.file} holds the new key; the old one is in ${source.file}.old until you delete it`);
      }
    },
  },
};
