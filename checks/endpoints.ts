// endpoints: the in-kernel path manager opens extra subflows only from configured endpoints.
// None -> one subflow per connection, ever. An endpoint whose address is on no interface is dead weight.
import { describeEndpoint, globalAddresses, interfaceOf } from './host-facts.js';
import type { Check } from './types.js';

export const endpointsCheck: Check = {
  id: 'endpoints',
  title: 'MPTCP endpoints',
  async run({ host }) {
    const [endpoints, interfaces] = await Promise.all([host.endpoints(), host.interfaces()]);
    if (endpoints.length === 0) {
      const candidates = globalAddresses(interfaces);
      return {
        status: 'warn',
        summary: 'no MPTCP endpoints: every connection will use a single subflow',
        evidence: [
          'ip mptcp endpoint show: none',
          candidates.length > 0
            ? `global addresses: ${candidates.map((c) => `${c.address} (${c.dev})`).join(', ')}`
            : 'no global addresses on up interfaces',
        ],
        fix: {
          advice:
            'Add an endpoint for each address a path can use: "subflow" on clients (opens extra subflows), ' +
            '"signal" on servers (announces the address). Add source routing for each (see endpoints.routing).',
          commands: candidates.map((c) => ['ip', 'mptcp', 'endpoint', 'add', c.address, 'dev', c.dev, 'subflow']),
        },
      };
    }
    const evidence = endpoints.map(describeEndpoint);
    const orphans = endpoints.filter((e) => {
      const holder = interfaceOf(interfaces, e.address);
      return !holder || (e.dev !== undefined && holder.name !== e.dev);
    });
    const missingDevice = endpoints.filter((e) => e.dev !== undefined && !interfaces.some((i) => i.name === e.dev));
    const problems = [...new Set([...orphans, ...missingDevice])];
    if (problems.length > 0) {
      for (const e of problems) {
        const holder = interfaceOf(interfaces, e.address);
        evidence.push(
          !holder
            ? `${e.address}: on no interface`
            : `${e.address}: on ${holder.name}, but the endpoint names dev ${e.dev}`,
        );
      }
      return {
        status: 'warn',
        summary: `${problems.length} of ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'} not usable: ${problems.map((e) => e.address).join(', ')} ${problems.length === 1 ? 'is' : 'are'} on no matching interface`,
        evidence,
        fix: {
          advice: 'Remove endpoints for addresses this host no longer has (or add the address back).',
          commands: problems.map((e) => ['ip', 'mptcp', 'endpoint', 'delete', 'id', String(e.id)]),
        },
      };
    }
    const subflow = endpoints.filter((e) => e.flags.includes('subflow')).length;
    const signal = endpoints.filter((e) => e.flags.includes('signal')).length;
    return {
      status: 'pass',
      summary: `${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'} (${subflow} subflow, ${signal} signal)`,
      evidence,
    };
  },
};
