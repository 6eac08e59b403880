/**
 * Group commit: callers hand in one item each and wait; items that arrive while a batch is being
 * written go into the next batch, so N concurrent writes cost about one transaction, not N.
 * Each caller still gets its own result (or error) only after its batch is durable.
 */
export function createGroupCommit<T, R>(
  writeBatch: (items: T[]) => Promise<Array<R | Error>>,
  maxBatch = 256,
): (item: T) => Promise<R> {
  let queue: Array<{ item: T; resolve(value: R): void; reject(error: unknown): void }> = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      try {
        const results = await writeBatch(batch.map((b) => b.item));
        batch.forEach((entry, i) => {
          const result = results[i];
          if (result instanceof Error) entry.reject(result);
          else entry.resolve(result as R);
        });
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    writing = false;
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // Wait one turn of the event loop so requests arriving together share a batch.
      if (!writing) {
        writing = true;
        setImmediate(() => void drain());
      }
    });
}
