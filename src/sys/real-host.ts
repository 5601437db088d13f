// The Host the CLI uses. Every reader runs at most once per Host (checks that need the same facts
// share one `ip` run) and they run in parallel, because checks are started together.
import { readMptcpCounters } from './counters.js';
import type { Family, Host } from './host.js';
import { readInterfaces, readRoutes, readRules } from './ip.js';
import { pathManagerReader } from './path-manager.js';
import { readKernelConfig, readKernelRelease, readProcesses } from './procfs.js';
import { probeMptcpSocket } from './socket-probe.js';
import { readSysctl } from './sysctl.js';

function once<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= read());
}

function onceByKey<K, T>(read: (key: K) => Promise<T>): (key: K) => Promise<T> {
  const cache = new Map<K, Promise<T>>();
  return (key) => {
    let pending = cache.get(key);
    if (!pending) {
      pending = read(key);
      cache.set(key, pending);
    }
    return pending;
  };
}

/** A fresh snapshot reader: create a new one to read the host again (fix does, after applying). */
export function createHost(): Host {
  const kernelRelease = once(readKernelRelease);
  const pathManager = pathManagerReader();
  return {
    platform: process.platform,
    kernelRelease,
    kernelConfig: once(async () => readKernelConfig(await kernelRelease())),
    sysctl: onceByKey(readSysctl),
    mptcpCounters: once(async () => {
      const counters = await readMptcpCounters();
      return Object.keys(counters).length > 0 ? counters : undefined;
    }),
    endpoints: once(pathManager.endpoints),
    limits: once(pathManager.limits),
    interfaces: once(readInterfaces),
    rules: onceByKey((family: Family) => readRules(family)),
    routes: onceByKey((family: Family) => readRoutes(family)),
    processes: once(readProcesses),
    probeSocket: onceByKey((family: Family) => probeMptcpSocket(family)),
  };
}
