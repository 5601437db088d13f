// Last-resort teardown. Tests call lab.destroy() in afterAll; this covers the rest: an exception
// that skips afterAll, Ctrl-C, SIGTERM from a CI timeout, or a plain process exit. Handlers can
// only do synchronous work at that point, so each lab offers destroySync() (SIGKILL + ip netns del).
export interface Destroyable {
  destroySync(): void;
}

const live = new Set<Destroyable>();
let installed = false;

function destroyAll(): void {
  for (const item of [...live]) {
    try {
      item.destroySync();
    } catch {
      // keep going: the other labs still need cleaning
    }
    live.delete(item);
  }
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAll();
  process.off(signal, onSignal);
  // Only re-raise when nobody else handles the signal; otherwise the other handler decides.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', destroyAll);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

export function registerForCleanup(item: Destroyable): void {
  install();
  live.add(item);
}

export function unregisterForCleanup(item: Destroyable): void {
  live.delete(item);
}
