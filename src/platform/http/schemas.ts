import { type TSchema, Type } from '@fastify/type-provider-typebox';

export const ErrorSchema = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'Error', description: 'Every failure has this shape' },
);

/** Adds the shared error shape to a route's responses. */
export function withErrors<R extends Record<number, TSchema>>(responses: R) {
  const error = Type.Ref('Error');
  return { ...responses, 400: error, 401: error, 403: error, 404: error, 409: error, 413: error, 429: error };
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

export const Ok = Type.Object({ ok: Type.Boolean() });
