// All-or-nothing sysctl application against an in-memory sysctl table (the real one is exercised
// by the e2e tests in namespaces).
import { describe, expect, it } from 'vitest';
import { applySysctls, SysctlApplyError, type SysctlIo } from '../../../src/sys/apply-sysctls.js';
import { mergeDropin } from '../../../src/sys/sysctl-dropin.js';

function table(values: Record<string, string>, failOn?: string, clamp?: string): SysctlIo & { values: Record<string, string> } {
  return {
    values,
    read: async (key) => values[key],
    write: async (key, value) => {
      if (key === failOn) throw new Error('sysctl: permission denied on key');
      values[key] = key === clamp && value === '1' ? '0' : value;
    },
  };
}

describe('applySysctls', () => {
  it('applies every change and reads each back', async () => {
    const io = table({ a: '0', b: '0' });
    await applySysctls([{ key: 'a', value: '1', previous: '0' }, { key: 'b', value: '2', previous: '0' }], io);
    expect(io.values).toEqual({ a: '1', b: '2' });
  });

  it('rolls back what was applied when a later change fails', async () => {
    const io = table({ a: '0', b: '0', c: '5' }, 'c');
    const attempt = applySysctls(
      [{ key: 'a', value: '1', previous: '0' }, { key: 'b', value: '1', previous: '0' }, { key: 'c', value: '1', previous: '5' }],
      io,
    );
    await expect(attempt).rejects.toThrow(SysctlApplyError);
    await expect(attempt).rejects.toThrow(/setting c=1 failed: sysctl: permission denied.*restored b, a: nothing changed/);
    expect(io.values).toEqual({ a: '0', b: '0', c: '5' });
  });

  it('treats a value the kernel did not keep as a failure, and restores it', async () => {
    const io = table({ a: '0', b: '3' }, undefined, 'b');
    await expect(applySysctls([{ key: 'a', value: '1', previous: '0' }, { key: 'b', value: '1', previous: '3' }], io)).rejects.toThrow(/reads back as "0"/);
    expect(io.values).toEqual({ a: '0', b: '3' });
  });

  it('says which keys it could not restore', async () => {
    const io = table({ a: '0', b: '0' }, 'b');
    io.write = async (key, value) => {
      if (key === 'b' || (key === 'a' && value === '0')) throw new Error('read-only');
      io.values[key] = value;
    };
    await expect(applySysctls([{ key: 'a', value: '1', previous: '0' }, { key: 'b', value: '1', previous: '0' }], io)).rejects.toThrow(/could not restore a/);
  });
});

describe('mergeDropin', () => {
  it('writes a header and the settings into a new file', () => {
    expect(mergeDropin(undefined, [{ key: 'net.mptcp.enabled', value: '1' }])).toMatch(/^# Written by mptcp-doctor.*\nnet\.mptcp\.enabled = 1\n$/);
  });

  it('replaces existing keys in place and keeps everything else', () => {
    const existing = '# mine\nnet.mptcp.enabled=0\nnet.core.rmem_max = 100\n';
    expect(mergeDropin(existing, [{ key: 'net.mptcp.enabled', value: '1' }, { key: 'net.mptcp.checksum_enabled', value: '1' }])).toBe(
      '# mine\nnet.mptcp.enabled = 1\nnet.core.rmem_max = 100\nnet.mptcp.checksum_enabled = 1\n',
    );
  });
});
