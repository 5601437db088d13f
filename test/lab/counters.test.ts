// Parsing and diffing /proc/net/netstat (pure), and reading it per namespace (root).
import { describe, expect, it } from 'vitest';
import { missingRequirement } from '../support/gate.js';
import { diffCounters, parseNetstat } from './counters.js';
import { creatorPid, nextLabPrefix } from './names.js';
import { createLab } from './lab.js';

const sample = [
  'TcpExt: SyncookiesSent SyncookiesRecv',
  'TcpExt: 0 3',
  'MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableFallbackSYNACK',
  'MPTcpExt: 5 1 0',
  '',
].join('\n');

describe('lab counters (pure)', () => {
  it('parses every group of /proc/net/netstat', () => {
    const groups = parseNetstat(sample);
    expect(groups.MPTcpExt).toEqual({ MPCapableSYNRX: 5, MPCapableSYNTX: 1, MPCapableFallbackSYNACK: 0 });
    expect(groups.TcpExt?.SyncookiesRecv).toBe(3);
  });

  it('diffs keep only the counters that changed', () => {
    expect(diffCounters({ a: 1, b: 2, c: 0 }, { a: 1, b: 5, c: 0, d: 2 })).toEqual({ b: 3, d: 2 });
  });
});

describe('lab names (pure)', () => {
  it('carry the creator pid, recognised only in our own format', () => {
    const prefix = nextLabPrefix();
    expect(creatorPid(`${prefix}-cli`)).toBe(process.pid);
    expect(nextLabPrefix()).not.toBe(prefix);
    expect(creatorPid('mdlab-cli')).toBeUndefined();
    expect(creatorPid('m5dev-4150')).toBeUndefined();
    expect(creatorPid('docker-ns')).toBeUndefined();
  });
});

const skip = missingRequirement('lab counters in namespaces', 'root', 'netns', 'tool:ip');

describe.skipIf(skip)('lab counters (namespaces)', () => {
  it('reads MPTcpExt per namespace: a fresh namespace starts at zero', async () => {
    const lab = await createLab({ topology: 'direct', warmUp: false });
    try {
      const counters = await lab.counters('client');
      expect(Object.keys(counters)).toContain('MPCapableFallbackSYNACK');
      expect(Object.values(counters).every((v) => v === 0)).toBe(true);
      const tcp = await lab.counters('server', 'TcpExt');
      expect(Object.keys(tcp).length).toBeGreaterThan(10);
    } finally {
      await lab.destroy();
    }
  });
});
