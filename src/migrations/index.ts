import * as foundation from './0001_foundation.ts';
import * as channel from './0002_channel.ts';
import * as catalog from './0003_catalog.ts';
import * as orders from './0004_orders.ts';
import * as hardening from './0006_hardening.ts';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
export const migrations = {
  '0001_foundation': foundation,
  '0002_channel': channel,
  '0003_catalog': catalog,
  '0004_orders': orders,
  '0006_hardening': hardening,
};
