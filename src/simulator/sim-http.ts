import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Transport } from './delivery.ts';
import { SimError, type SimulatorState } from './simulator.ts';

/**
 * Who may drive the simulator as someone else (act as a fan, read fans and transcripts, change an
 * app): inside Weiloop, a console user of the merchant that owns the account. `appId` null asks
 * whether the request is anyone's console user at all. The stand-alone simulator has no guard.
 */
export interface SimulatorGuard {
  mayControl(request: FastifyRequest, appId: string | null): Promise<boolean>;
}

export interface SimulatorDeps {
  sim: SimulatorState;
  transport: Transport;
  guard?: SimulatorGuard;
  /** How long WeChat waits for a reply before retrying (5 s; tests shorten it). */
  replyTimeoutMs?: number;
}

export type Query = Record<string, string | undefined>;
export type Body = Record<string, unknown>;

/** WeChat answers API errors with HTTP 200 and `{errcode, errmsg}`. */
export async function wechatApi(reply: FastifyReply, work: () => unknown | Promise<unknown>) {
  try {
    const result = (await work()) ?? {};
    return reply.send({ errcode: 0, errmsg: 'ok', ...(result as object) });
  } catch (error) {
    if (error instanceof SimError) return reply.send({ errcode: error.errcode, errmsg: error.message });
    throw error;
  }
}

export function controlRefused(reply: FastifyReply) {
  return reply.status(401).send({
    error: {
      code: 'simulator_sign_in_required',
      message:
        '请先登录该公众号所属商户的控制台 / Sign in to the console of the merchant that owns this account',
    },
  });
}
