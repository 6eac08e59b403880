/**
 * Group commit: callers hand in one item each and wait; items that arrive while a batch is being
 * written go into the next batch, so N concurrent writes cost about one transaction, not N.
 * Each caller still gets its own result (or error) only after its batch is durable.
 *
 * `inFlight` lets up to that many batches be written at once (each its own transaction, on its own
 * connection): on a server database a batch spends most of its time waiting for round trips and
 * the commit's flush, which the next batch can overlap. One is right for SQLite (one writer).
 *
 * `spacingMs`: a batch starts no sooner than this after the one before it started. A busy server
 * takes a burst of requests one per turn of the event loop, so without it each would be a batch
 * of one paying for a whole transaction; an item after a pause is written at once.
 */
export function createGroupCommit<T, R>(
  writeBatch: (items: T[]) => Promise<Array<R | Error>>,
  maxBatch = 256,
  inFlight = 1,
  spacingMs = 0,
): (item: T) => Promise<R> {
  let queue: Array<{ item: T; resolve(value: R): void; reject(error: unknown): void }> = [];
  let writing = 0;
  let scheduled = false;
  let lastStart = Number.NEGATIVE_INFINITY;

  // Wait one turn of the event loop so requests arriving together share a batch (and, right
  // after another batch, until `spacingMs` has passed).
  function schedule(): void {
    if (scheduled || writing >= inFlight || queue.length === 0) return;
    scheduled = true;
    const run = () => {
      scheduled = false;
      void write();
    };
    const wait = queue.length >= maxBatch ? 0 : lastStart + spacingMs - performance.now();
    if (wait >= 1) setTimeout(run, wait);
    else setImmediate(run);
  }

  async function write(): Promise<void> {
    if (writing >= inFlight || queue.length === 0) return;
    writing++;
    lastStart = performance.now();
    const batch = queue.slice(0, maxBatch);
    queue = queue.slice(batch.length);
    schedule();
    try {
      const results = await writeBatch(batch.map((b) => b.item));
      batch.forEach((entry, i) => {
        const result = results[i];
        if (result instanceof Error) entry.reject(result);
        else entry.resolve(result as R);
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    } finally {
      writing--;
      schedule();
    }
  }

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      schedule();
    });
}
