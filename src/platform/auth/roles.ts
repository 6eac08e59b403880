import { forbidden } from '../http/errors.ts';

export const ROLES = ['owner', 'operator', 'agent', 'clerk'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Who acts: a console user, an API token, a fan in the shop, or the system (a job, WeChat Pay). */
export type Actor =
  | { kind: 'user'; userId: string; role: Role }
  | { kind: 'token'; tokenId: string; role: Role }
  | { kind: 'fan'; accountId: string; openid: string }
  | { kind: 'system'; name?: string };

export function actorLabel(actor: Actor): string {
  if (actor.kind === 'user') return `user:${actor.userId}`;
  if (actor.kind === 'token') return `token:${actor.tokenId}`;
  if (actor.kind === 'fan') return `fan:${actor.openid}`;
  return actor.name ?? 'system';
}

/** Throws 403 unless the actor holds one of `roles` (owner may do everything; the system may too). */
export function requireRole(ctx: { actor: Actor }, ...roles: Role[]): void {
  const { actor } = ctx;
  if (actor.kind === 'system') return;
  if (actor.kind !== 'fan' && (actor.role === 'owner' || roles.includes(actor.role))) return;
  throw forbidden(`需要以下角色之一：${roles.join('、')}`, `Requires one of the roles: ${roles.join(', ')}`);
}
