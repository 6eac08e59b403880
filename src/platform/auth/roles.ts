export const ROLES = ['owner', 'operator', 'agent', 'clerk'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export type Actor =
  | { kind: 'user'; userId: string; role: Role }
  | { kind: 'token'; tokenId: string; role: Role }
  | { kind: 'system' };

export function actorLabel(actor: Actor): string {
  if (actor.kind === 'user') return `user:${actor.userId}`;
  if (actor.kind === 'token') return `token:${actor.tokenId}`;
  return 'system';
}
