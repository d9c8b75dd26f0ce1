// How many requests of one run go out at once: a run of 8 variants must not hit a gateway's rate limit all at once.
export const MAX_PARALLEL_REQUESTS = 4;

/** Runs `task` `count` times with at most MAX_PARALLEL_REQUESTS of them at a time; each failure is the task's to handle. */
export async function runRequests(count: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, MAX_PARALLEL_REQUESTS) }, worker));
}
