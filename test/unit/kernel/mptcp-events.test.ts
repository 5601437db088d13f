// Events captured from the kernel (fixtures/capture.sh): scenario.py's connections, a subflow joining
// through an endpoint, a signal endpoint added then removed, a subflow killed with ss -K.
import { describe, expect, it } from 'vitest';
import { decodeGetFamilyReply, encodeGenericPayload } from '../../../src/kernel/generic-netlink.js';
import { decodeMptcpEvent, describeResetReason, type MptcpEvent } from '../../../src/kernel/mptcp-events.js';
import { encodeMessage, parseMessages, u32Attribute, encodeAttribute } from '../../../src/kernel/netlink-frame.js';
import { formatWatchLine } from '../../../src/report/watch.js';
import { fixture } from './fixtures.js';

const family = decodeGetFamilyReply(fixture('genl-family-mptcp_pm.bin'), 'mptcp_pm');
const events = parseMessages(fixture('events.bin')).map((m) => decodeMptcpEvent(m, family.id)!).filter(Boolean);
const ofType = (type: MptcpEvent['type']) => events.filter((e) => e.type === type);

describe('mptcp_pm family (controller reply)', () => {
  it('names the family, its id and both multicast groups', () => {
    expect(family.name).toBe('mptcp_pm');
    expect(family.id).toBeGreaterThan(0x10);
    expect(family.version).toBe(1);
    expect([...family.groups.keys()].sort()).toEqual(['mptcp_pm_cmds', 'mptcp_pm_events']);
  });
});

describe('mptcp_pm events from the kernel', () => {
  it('decodes every event of the scenario', () => {
    const counts = Object.fromEntries(['listener_created', 'created', 'established', 'sub_established', 'announced', 'removed', 'sub_closed', 'closed', 'listener_closed']
      .map((t) => [t, ofType(t as MptcpEvent['type']).length]));
    // Two MPTCP pairs (IPv4, IPv6); the client that fell back against the plain listener closes too.
    expect(counts).toEqual({
      listener_created: 2, created: 4, established: 4, sub_established: 2, announced: 4, removed: 4, sub_closed: 5, closed: 5, listener_closed: 2,
    });
    expect(events.every((e) => e.type !== 'unknown')).toBe(true);
  });

  it('gives created/established their addresses, ports (network order) and side', () => {
    const server = ofType('created').find((e) => e.serverSide)!;
    expect(server).toMatchObject({ family: 4, localAddress: '127.0.0.1', localPort: 7000, remoteAddress: '127.0.0.1' });
    const v6 = ofType('created').filter((e) => e.family === 6);
    expect(v6.map((e) => e.localAddress)).toEqual(['::1', '::1']);
    const client = ofType('created').find((e) => !e.serverSide && e.family === 4)!;
    expect(client.remotePort).toBe(7000);
    expect(client.token).toBeGreaterThan(0);
  });

  it('ties the joined subflow to its connection by token, with both address ids', () => {
    const joined = ofType('sub_established').find((e) => e.localAddress === '127.0.0.2')!;
    const connection = ofType('established').find((e) => e.token === joined.token)!;
    expect(connection.localPort).not.toBe(joined.localPort);
    expect(joined).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: 7000, localId: 1, remoteId: 0, backup: false });
  });

  it('decodes the reset the peer saw, with its MP_TCPRST reason in words, and the killed side\'s error', () => {
    const reset = ofType('sub_closed').find((e) => e.resetReason !== undefined)!;
    expect(reset).toMatchObject({ localAddress: '127.0.0.2', error: 104, resetReason: 0, resetReasonText: 'unspecified error', resetTransient: false });
    const killed = ofType('sub_closed').find((e) => e.error === 103)!;
    expect(killed.resetReason).toBeUndefined();
  });

  it('decodes announced and removed addresses with their id', () => {
    expect(ofType('announced').every((e) => e.remoteAddress === '127.0.0.3' && e.remoteId === 2)).toBe(true);
    expect(new Set(ofType('removed').map((e) => e.token)).size).toBe(4);
  });

  it('decodes by length: a short address attribute is left out, not misread', () => {
    const payload = encodeGenericPayload(10, 1, [u32Attribute(1, 42), encodeAttribute(6, Buffer.alloc(8)), u32Attribute(16, 5)]);
    const event = decodeMptcpEvent(parseMessages(encodeMessage(family.id, 0, payload))[0]!, family.id)!;
    expect(event).toMatchObject({ type: 'sub_established', token: 42, resetReason: 5, resetReasonText: 'unacceptable performance' });
    expect(event.localAddress).toBeUndefined();
  });

  it('decodes sub_priority (a peer\'s MP_PRIO) with the backup flag both ways, and watch says which way it went', () => {
    const saddr = encodeAttribute(5, Buffer.from([10, 0, 1, 1]));
    const daddr = encodeAttribute(7, Buffer.from([10, 0, 2, 2]));
    const port = (type: number, value: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(value); return encodeAttribute(type, b); };
    const priority = (backup: number) => decodeMptcpEvent(parseMessages(encodeMessage(family.id, 0, encodeGenericPayload(13, 1, [
      u32Attribute(1, 0xabcd), u32Attribute(2, 2), u32Attribute(3, 1), u32Attribute(4, 0), saddr, daddr, port(9, 40000), port(10, 21), u32Attribute(11, backup),
    ])))[0]!, family.id)!;
    expect(priority(1)).toMatchObject({ type: 'sub_priority', token: 0xabcd, localAddress: '10.0.1.1', remoteAddress: '10.0.2.2', localPort: 40000, remotePort: 21, backup: true });
    expect(priority(0).backup).toBe(false);
    const line = (backup: number) => formatWatchLine({ type: 'event', time: new Date(0), event: priority(backup), token: '0000abcd' }, false);
    expect(line(1)).toMatch(/sub_priority\s.*10\.0\.1\.1:40000 -> 10\.0\.2\.2:21, id\s+1\/0, now a backup subflow/);
    expect(line(0)).toContain('now a regular subflow (not backup)');
  });

  it('ignores other families\' messages and names reasons RFC 8684 lacks', () => {
    expect(decodeMptcpEvent(parseMessages(encodeMessage(family.id + 1, 0, encodeGenericPayload(1, 1, [])))[0]!, family.id)).toBeUndefined();
    expect(describeResetReason(6)).toBe('middlebox interference');
    expect(describeResetReason(3)).toBe('administratively prohibited');
    expect(describeResetReason(9)).toMatch(/not in RFC 8684/);
  });
});
