// `npm run lab -- up <topology>` / `npm run lab -- down` / `npm run lab -- status`: a lab for people.
// Brings a named topology up, records it in a state file, prints how to get in; `down` removes
// what `up` made (namespaces and everything running in them, the temp dir).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab } from './lab.js';
import { cliEntry, packageRoot } from './paths.js';
import { killAndDeleteSync, listNamespaces } from './sweep.js';
import type { LabSpec } from './topology.js';

const PREFIX = 'mdlab';
const stateFile = path.join(tmpdir(), 'mptcp-doctor-lab.json');

const topologies: Record<string, { spec: LabSpec; about: string }> = {
  direct: { spec: { topology: 'direct' }, about: 'client and server on one veth pair' },
  'one-path': { spec: { topology: 'routed', links: 1 }, about: 'client - router - server, one client link' },
  'two-path': { spec: { topology: 'routed', links: 2 }, about: 'client = router - server, two client links, one subflow endpoint' },
  'three-path': { spec: { topology: 'routed', links: 3 }, about: 'client = router - server, three client links, two subflow endpoints' },
};

interface State {
  topology: string;
  namespaces: string[];
  tmpDir: string;
  created: string;
}

function usage(): string {
  const names = Object.entries(topologies).map(([name, t]) => `  ${name.padEnd(11)} ${t.about}`).join('\n');
  return `usage: npm run lab -- up <topology> [--no-ipv6] | down | status\ntopologies:\n${names}`;
}

function readState(): State | undefined {
  if (!existsSync(stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8')) as State;
  } catch {
    return undefined;
  }
}

async function up(name: string | undefined, ipv6: boolean): Promise<number> {
  const topology = name ? topologies[name] : undefined;
  if (!topology) {
    console.error(`lab: unknown topology ${name ?? '(none)'}\n${usage()}`);
    return 2;
  }
  const existing = listNamespaces().filter((n) => n.startsWith(`${PREFIX}-`));
  if (existing.length > 0) {
    console.error(`lab: already up (${existing.join(', ')}): run \`npm run lab -- down\` first`);
    return 1;
  }
  const lab = await createLab({ ...topology.spec, ipv6, prefix: PREFIX });
  const { namespaces, tmpDir } = lab.detach();
  const state: State = { topology: name!, namespaces, tmpDir, created: new Date().toISOString() };
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
  const lines = [
    `lab ${name} is up (${topology.about})`,
    '',
    ...Object.entries(lab.namespaces).map(([role, ns]) => `  ${role.padEnd(7)} ${ns}`),
    '',
    'addresses:',
    ...lab.links.map((l) => `  link ${l.index}: client ${l.client.v4}${l.client.v6 ? ` ${l.client.v6}` : ''}  ${l.peerRole} ${l.peer.v4}${l.peer.v6 ? ` ${l.peer.v6}` : ''}  (client ${l.clientIf}, ${l.peerRole} ${l.peerIf}, table ${l.table})`),
    `  server: ${lab.addresses.server.v4}${lab.addresses.server.v6 ? ` ${lab.addresses.server.v6}` : ''}`,
    '',
    'enter a namespace:',
    `  ip netns exec ${lab.ns('client')} bash`,
    'try:',
    `  ip netns exec ${lab.ns('server')} node ${path.relative(packageRoot, cliEntry)} serve --listen ${lab.addresses.server.v4}:2121 &`,
    `  ip netns exec ${lab.ns('client')} node ${path.relative(packageRoot, cliEntry)} connect ${lab.addresses.server.v4}:2121`,
    `  ip netns exec ${lab.ns('client')} ip mptcp endpoint show; ip netns exec ${lab.ns('client')} nstat -az 'MPTcp*'`,
    ...(lab.namespaces.router ? [`  ip netns exec ${lab.ns('router')} tc qdisc replace dev r1 root tbf rate 20mbit burst 32kb latency 100ms`] : []),
    '',
    'remove it (and everything started inside): npm run lab -- down',
  ];
  console.log(lines.join('\n'));
  return 0;
}

function down(): number {
  const state = readState();
  const names = new Set([...(state?.namespaces ?? []), ...listNamespaces().filter((n) => n.startsWith(`${PREFIX}-`))]);
  for (const ns of names) killAndDeleteSync(ns);
  if (state?.tmpDir && path.basename(state.tmpDir).startsWith(`${PREFIX}-`)) rmSync(state.tmpDir, { recursive: true, force: true });
  rmSync(stateFile, { force: true });
  console.log(names.size > 0 ? `lab down: removed ${[...names].join(', ')}` : 'lab down: nothing was up');
  return 0;
}

function status(): number {
  const state = readState();
  const present = listNamespaces().filter((n) => n.startsWith(`${PREFIX}-`));
  if (!state && present.length === 0) {
    console.log('lab: nothing is up');
    return 0;
  }
  console.log(`lab ${state?.topology ?? '(unknown)'} up since ${state?.created ?? '?'}: ${present.join(', ') || 'namespaces missing'}`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('lab: needs root (network namespaces)');
    return 3;
  }
  const [command, name, ...rest] = argv;
  const unknown = rest.filter((a) => a !== '--no-ipv6');
  if (unknown.length > 0) {
    console.error(`lab: unexpected ${unknown.join(' ')}\n${usage()}`);
    return 2;
  }
  if (command === 'up') return up(name, !argv.includes('--no-ipv6'));
  if (command === 'down' && name === undefined) return down();
  if (command === 'status' && name === undefined) return status();
  console.error(usage());
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    console.error(`lab: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
