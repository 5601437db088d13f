// limits: `ip mptcp limits`. subflows caps the extra subflows per connection (0 = endpoints are never
// used); add_addr_accepted caps how many addresses announced by the peer (ADD_ADDR) a client follows.
import type { Check } from './types.js';

export const limitsCheck: Check = {
  id: 'limits',
  title: 'path manager limits',
  async run({ host }) {
    const [limits, endpoints] = await Promise.all([host.limits(), host.endpoints()]);
    const evidence = [`subflows ${limits.subflows}, add_addr_accepted ${limits.addAddrAccepted}`, `${endpoints.length} endpoint(s)`];
    const subflowEndpoints = endpoints.filter((e) => e.flags.includes('subflow')).length;
    const setLimits = (subflows: number) => [
      ['ip', 'mptcp', 'limits', 'set', 'subflows', String(subflows), 'add_addr_accepted', String(limits.addAddrAccepted)],
    ];
    const note = limits.addAddrAccepted === 0 ? '; note: add_addr_accepted 0 ignores addresses that servers announce' : '';
    if (endpoints.length > 0 && limits.subflows === 0) {
      return {
        status: 'warn',
        summary: 'subflows limit is 0: endpoints exist but no extra subflow is ever opened',
        evidence,
        fix: { advice: 'Allow at least one extra subflow per endpoint.', commands: setLimits(Math.max(1, subflowEndpoints)) },
      };
    }
    if (subflowEndpoints > limits.subflows) {
      return {
        status: 'warn',
        summary: `subflows limit ${limits.subflows} is below the ${subflowEndpoints} subflow endpoints: some are never used`,
        evidence,
        fix: { advice: 'Raise the subflows limit to the number of subflow endpoints (at most 8).', commands: setLimits(Math.min(8, subflowEndpoints)) },
      };
    }
    if (limits.addAddrAccepted === 0) {
      evidence.push('a client of a server that announces extra addresses (signal endpoints) needs add_addr_accepted >= 1');
    }
    return { status: 'pass', summary: `subflows ${limits.subflows}, add_addr_accepted ${limits.addAddrAccepted}${note}`, evidence };
  },
};
