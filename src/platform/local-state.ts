/**
 * In-process state that belongs to one app (hot-path lookups, compiled rules, clients), made
 * lazily by name. Every app built by `buildApp` has its own, so two apps in one process share
 * nothing, and a module keeps no mutable state at its top level.
 */
export interface LocalState {
  slot<T>(name: string, create: () => T): T;
}

export function createLocalState(): LocalState {
  const slots = new Map<string, unknown>();
  return {
    slot<T>(name: string, create: () => T): T {
      if (!slots.has(name)) slots.set(name, create());
      return slots.get(name) as T;
    },
  };
}
