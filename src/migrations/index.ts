import * as foundation from './0001_foundation.ts';

/** Every migration, in order. Names sort lexically; never rename or edit one that has shipped. */
export const migrations = {
  '0001_foundation': foundation,
};
