// rp_filter: strict reverse-path filtering (1) drops packets arriving on an interface that is not the
// one the reply route uses. With several paths that is exactly what extra subflows look like, so
// strict mode on an endpoint's interface silently kills them. The effective value is
// max(conf.all, conf.IFACE); setting the interface to 2 (loose) therefore wins over all = 1.
import { endpointDevice } from './host-facts.js';
import { sysctlKey } from '../src/sys/sysctl.js';
import { sysctlFix, type Check, type SysctlChange } from './types.js';

export const rpFilterCheck: Check = {
  id: 'rp_filter',
  title: 'reverse-path filtering',
  async run({ host }) {
    const [endpoints, interfaces] = await Promise.all([host.endpoints(), host.interfaces()]);
    const devices = [...new Set(endpoints.filter((e) => e.family === 4).map((e) => endpointDevice(e, interfaces)).filter((d): d is string => !!d))];
    if (devices.length === 0) return { status: 'skip', summary: 'no IPv4 endpoint interfaces (rp_filter is IPv4 only)', evidence: [] };
    const all = await host.sysctl('net.ipv4.conf.all.rp_filter');
    const perDevice = await Promise.all(devices.map(async (dev) => ({ dev, value: await host.sysctl(sysctlKey(['net', 'ipv4', 'conf', dev, 'rp_filter'])) })));
    const evidence = [`net.ipv4.conf.all.rp_filter = ${all ?? 'absent'}`];
    const strict: string[] = [];
    for (const { dev, value } of perDevice) {
      const effective = Math.max(Number(all ?? 0), Number(value ?? 0));
      evidence.push(`net.ipv4.conf.${dev}.rp_filter = ${value ?? 'absent'} (effective ${effective})`);
      if (effective === 1) strict.push(dev);
    }
    if (strict.length === 0) return { status: 'pass', summary: `no strict reverse-path filtering on ${devices.join(', ')}`, evidence };
    const changes: SysctlChange[] = strict.map((dev) => ({ key: sysctlKey(['net', 'ipv4', 'conf', dev, 'rp_filter']), value: '2' }));
    return {
      status: 'warn',
      summary: `strict rp_filter on ${strict.join(', ')}: subflows arriving there from other paths are dropped`,
      evidence,
      fix: sysctlFix('Use loose reverse-path filtering (2) on the endpoint interfaces.', changes),
    };
  },
};
