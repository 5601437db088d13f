import { describe, expect, it } from 'vitest';
import { endpointsCheck } from '../../../checks/endpoints.js';
import { limitsCheck } from '../../../checks/limits.js';
import { TWO_LINKS, context, endpoint, iface } from './fake-host.js';

describe('endpoints', () => {
  it('warns with none, suggesting an endpoint for each global address (not loopback, not link-local)', async () => {
    const interfaces = [...TWO_LINKS, iface('eth2', 4, 'fe80::1/64', '2001:db8::10/64')];
    const outcome = await endpointsCheck.run(context({ interfaces }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.commands).toEqual([
      ['ip', 'mptcp', 'endpoint', 'add', '192.0.2.10', 'dev', 'eth0', 'subflow'],
      ['ip', 'mptcp', 'endpoint', 'add', '198.51.100.10', 'dev', 'eth1', 'subflow'],
      ['ip', 'mptcp', 'endpoint', 'add', '2001:db8::10', 'dev', 'eth2', 'subflow'],
    ]);
  });

  it('does not suggest tentative addresses or down interfaces', async () => {
    const down = { ...iface('eth3', 5, '203.0.113.1/24'), up: false };
    const tentative = iface('eth4', 6, '2001:db8:1::1/64');
    tentative.addresses[0]!.tentative = true;
    const outcome = await endpointsCheck.run(context({ interfaces: [iface('lo', 1, '127.0.0.1/8'), down, tentative] }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.commands).toEqual([]);
  });

  it('passes when every endpoint address is on its interface', async () => {
    const outcome = await endpointsCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10', ['subflow'], 'eth1'), endpoint(2, '192.0.2.10', ['signal'])] }));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toBe('2 endpoints (1 subflow, 1 signal)');
  });

  it('warns about an endpoint whose address is on no interface, suggesting its removal', async () => {
    const outcome = await endpointsCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10'), endpoint(7, '203.0.113.5')] }));
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain('203.0.113.5');
    expect(outcome.fix?.commands).toEqual([['ip', 'mptcp', 'endpoint', 'delete', 'id', '7']]);
  });

  it('warns about an endpoint naming a device that does not hold its address', async () => {
    const outcome = await endpointsCheck.run(context({ endpoints: [endpoint(3, '198.51.100.10', ['subflow'], 'eth0')] }));
    expect(outcome.status).toBe('warn');
    expect(outcome.evidence.join('\n')).toContain('on eth1, but the endpoint names dev eth0');
  });
});

describe('limits', () => {
  it('passes when the subflows limit covers the subflow endpoints', async () => {
    const outcome = await limitsCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10')], limits: { subflows: 2, addAddrAccepted: 2 } }));
    expect(outcome.status).toBe('pass');
  });

  it('warns when endpoints exist but the subflows limit is 0', async () => {
    const outcome = await limitsCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10')], limits: { subflows: 0, addAddrAccepted: 1 } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.commands).toEqual([['ip', 'mptcp', 'limits', 'set', 'subflows', '1', 'add_addr_accepted', '1']]);
  });

  it('warns when there are more subflow endpoints than the limit allows', async () => {
    const endpoints = [endpoint(1, '192.0.2.10'), endpoint(2, '198.51.100.10'), endpoint(3, '203.0.113.1')];
    const outcome = await limitsCheck.run(context({ endpoints, limits: { subflows: 1, addAddrAccepted: 0 } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.summary).toContain('below the 3 subflow endpoints');
  });

  it('notes add_addr_accepted 0 without warning', async () => {
    const outcome = await limitsCheck.run(context({ limits: { subflows: 0, addAddrAccepted: 0 } }));
    expect(outcome.status).toBe('pass');
    expect(outcome.summary).toContain('add_addr_accepted 0 ignores addresses that servers announce');
  });
});
