import type { FastifyReply } from 'fastify';
import type { Transport } from './delivery.ts';
import { SimError, type SimulatorState } from './simulator.ts';

export interface SimulatorDeps {
  sim: SimulatorState;
  transport: Transport;
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
