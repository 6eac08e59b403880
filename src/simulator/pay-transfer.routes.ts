import type { FastifyInstance } from 'fastify';
import { PayError, type PayKit } from './pay-kit.ts';
import { TransferRefused, transferBatch } from './transfers.ts';

/** 商家转账 (POST /v3/transfer/batches): signed like every v3 call, rules in transfers.ts. */
export function transferRoutes(app: FastifyInstance, kit: PayKit): void {
  const { sim, authenticate, handle, json } = kit;
  app.post(
    '/v3/transfer/batches',
    handle((request) => {
      const merchant = authenticate(request);
      try {
        return { status: 200, body: transferBatch(sim, merchant.mchid, json(request)) };
      } catch (error) {
        if (error instanceof TransferRefused) throw new PayError(error.status, error.code, error.message);
        throw error;
      }
    }),
  );
}
