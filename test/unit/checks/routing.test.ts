import { describe, expect, it } from 'vitest';
import { endpointsRoutingCheck } from '../../../checks/endpoints-routing.js';
import { rpFilterCheck } from '../../../checks/rp-filter.js';
import { context, endpoint, iface, route } from './fake-host.js';

const MAIN = [
  route('default', 'eth0', { gateways: ['192.0.2.1'] }),
  route('192.0.2.0/24', 'eth0'),
  route('198.51.100.0/24', 'eth1'),
];

describe('endpoints.routing', () => {
  it('skips without subflow endpoints', async () => {
    expect((await endpointsRoutingCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10', ['signal'])] }))).status).toBe('skip');
  });

  it('passes for an endpoint on the default route interface', async () => {
    const outcome = await endpointsRoutingCheck.run(context({ endpoints: [endpoint(1, '192.0.2.10')], routes: { 4: MAIN } }));
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence[0]).toContain('default route leaves through eth0');
  });

  it('warns for an endpoint on another interface without a source rule, suggesting rule and route', async () => {
    const outcome = await endpointsRoutingCheck.run(context({ endpoints: [endpoint(2, '198.51.100.10')], routes: { 4: MAIN } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.evidence[0]).toContain('default route (dev eth0)');
    expect(outcome.fix?.commands).toEqual([
      ['ip', 'rule', 'add', 'from', '198.51.100.10', 'table', '102'],
      ['ip', 'route', 'add', 'default', 'dev', 'eth1', 'table', '102'],
    ]);
  });

  it('passes with a source rule whose table routes via the endpoint interface', async () => {
    const routes = [...MAIN, route('default', 'eth1', { table: '102', gateways: ['198.51.100.1'] })];
    const rules = [{ priority: 100, src: '198.51.100.0', srcLength: 24, table: '102', extraSelectors: false }];
    const outcome = await endpointsRoutingCheck.run(context({ endpoints: [endpoint(2, '198.51.100.10')], routes: { 4: routes }, rules: { 4: rules } }));
    expect(outcome.status).toBe('pass');
    expect(outcome.evidence[0]).toContain('lookup 102');
  });

  it('warns when the rule exists but its table has no route on the device; fwmark rules do not count', async () => {
    const routes = [...MAIN, route('default', 'eth0', { table: '102', gateways: ['192.0.2.1'] }), route('default', 'eth1', { table: '103', gateways: ['198.51.100.1'] })];
    const rules = [
      { priority: 100, src: '198.51.100.10', srcLength: 32, table: '102', extraSelectors: false },
      { priority: 101, src: '198.51.100.10', srcLength: 32, table: '103', extraSelectors: true },
    ];
    const outcome = await endpointsRoutingCheck.run(context({ endpoints: [endpoint(2, '198.51.100.10')], routes: { 4: routes }, rules: { 4: rules } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.evidence[0]).toContain('table 102, which has no route via eth1');
    expect(outcome.fix?.commands).toEqual([['ip', 'route', 'add', 'default', 'via', '198.51.100.1', 'dev', 'eth1', 'table', '102']]);
  });

  it('handles IPv6 endpoints with ip -6 commands', async () => {
    const interfaces = [iface('lo', 1, '::1/128'), iface('eth0', 2, '2001:db8::10/64'), iface('eth1', 3, '2001:db8:1::10/64')];
    const routes = [route('default', 'eth0', { gateways: ['2001:db8::1'], metric: 1024 })];
    const outcome = await endpointsRoutingCheck.run(context({ interfaces, endpoints: [endpoint(4, '2001:db8:1::10')], routes: { 6: routes } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.commands[0]).toEqual(['ip', '-6', 'rule', 'add', 'from', '2001:db8:1::10', 'table', '104']);
  });

  it('warns when there is no default route at all', async () => {
    const outcome = await endpointsRoutingCheck.run(context({ endpoints: [endpoint(1, '192.0.2.10')], routes: { 4: [route('192.0.2.0/24', 'eth0')] } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.evidence[0]).toContain('no default route');
  });
});

describe('rp_filter', () => {
  it('skips without IPv4 endpoints', async () => {
    expect((await rpFilterCheck.run(context())).status).toBe('skip');
  });

  it('passes with loose or no filtering', async () => {
    const outcome = await rpFilterCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10')], sysctls: { 'net.ipv4.conf.eth1.rp_filter': '2' } }));
    expect(outcome.status).toBe('pass');
  });

  it('warns on strict filtering of the endpoint interface, fixing it per interface', async () => {
    const outcome = await rpFilterCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10')], sysctls: { 'net.ipv4.conf.eth1.rp_filter': '1' } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.sysctls).toEqual([{ key: 'net.ipv4.conf.eth1.rp_filter', value: '2' }]);
  });

  it('counts conf.all: all = 1 makes every interface strict unless it is set to 2', async () => {
    const outcome = await rpFilterCheck.run(context({ endpoints: [endpoint(1, '198.51.100.10')], sysctls: { 'net.ipv4.conf.all.rp_filter': '1' } }));
    expect(outcome.status).toBe('warn');
    expect(outcome.evidence).toContain('net.ipv4.conf.eth1.rp_filter = 0 (effective 1)');
  });

  it('uses the slash form for interface names with dots', async () => {
    const interfaces = [iface('eth0.100', 2, '192.0.2.10/24')];
    const outcome = await rpFilterCheck.run(
      context({ interfaces, endpoints: [endpoint(1, '192.0.2.10')], sysctls: { 'net/ipv4/conf/eth0.100/rp_filter': '1' } }),
    );
    expect(outcome.status).toBe('warn');
    expect(outcome.fix?.sysctls).toEqual([{ key: 'net/ipv4/conf/eth0.100/rp_filter', value: '2' }]);
  });
});
