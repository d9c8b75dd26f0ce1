// Stops everything a runner started, whether it ends normally, by Ctrl+C, by SIGTERM, by a crash or by SIGKILL.
import { spawn } from 'node:child_process';

type Cleanup = {
  /** Best effort, asynchronous: used on normal shutdown and on signals. */
  readonly async: () => Promise<void>;
  /** Last resort, synchronous: runs from process 'exit', where no promise can be awaited. */
  readonly sync: () => void;
};

const cleanups = new Set<Cleanup>();
let installed = false;
let stopping: Promise<void> | undefined;

/** Registers something to stop; returns a function that unregisters it (after it stopped by itself). */
export function onCleanup(async: () => Promise<void>, sync: () => void = () => undefined): () => void {
  installHandlers();
  const entry = { async, sync };
  cleanups.add(entry);
  return () => cleanups.delete(entry);
}

/**
 * Kills a process group when this process dies, even by SIGKILL (where no handler runs): a tiny watchdog in its own
 * group holds a pipe from us and kills the group when the pipe closes.
 */
export function killGroupWhenWeDie(pgid: number): void {
  const watchdog = spawn(
    process.execPath,
    ['-e', `process.stdin.resume();process.stdin.on('close',()=>{try{process.kill(-${pgid},'SIGKILL')}catch{}process.exit(0)})`],
    { detached: true, stdio: ['pipe', 'ignore', 'ignore'] },
  );
  watchdog.unref();
  // The pipe must not keep us alive; it closes when we exit, however we exit.
  (watchdog.stdin as unknown as { unref(): void }).unref();
}

/** Runs every registered cleanup once, newest first; later calls wait for the same run. */
export function cleanupAll(): Promise<void> {
  stopping ??= (async () => {
    for (const entry of [...cleanups].reverse()) {
      cleanups.delete(entry);
      try {
        await withTimeout(entry.async(), 5000);
      } catch {
        entry.sync();
      }
    }
  })();
  return stopping;
}

/** Runs `main`, prints its error if any, cleans up and exits with the code it returned. */
export function runMain(main: () => Promise<number>): void {
  installHandlers();
  main()
    .then(
      (code) => code,
      (error: unknown) => {
        console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
        return 1;
      },
    )
    .then(async (code) => {
      await cleanupAll();
      process.exit(code);
    })
    .catch(() => process.exit(1));
}

function installHandlers(): void {
  if (installed) return;
  installed = true;
  // A killed group leaves no extension host, file watcher or browser behind even if we die abruptly.
  process.on('exit', () => {
    for (const entry of cleanups) entry.sync();
  });
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    process.on(signal, () => {
      console.error(`\nreceived ${signal}, stopping…`);
      void cleanupAll().finally(() => process.exit(code));
    });
  }
  process.on('uncaughtException', (error) => {
    console.error(error.stack ?? error.message);
    void cleanupAll().finally(() => process.exit(1));
  });
  process.on('unhandledRejection', (reason) => {
    console.error(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
    void cleanupAll().finally(() => process.exit(1));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`cleanup took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
