#!/usr/bin/env node
// The write-path knobs of `serve` measured one at a time (bench/analysis.md, "serve as an MPTCP
// sender"): several serve processes (one per variant, each with SERVE_KNOBS in its environment)
// and, for reference, vsftpd under mptcpize, all in one throwaway network namespace; `get` (and
// plain-TCP curl where asked) download /probe/<size> from each to tmpfs, every variant once per
// round, the order flipped every round. Per run: wall time, serve's own transfer time (its log),
// client and serve CPU time, the namespace's MPTcpExt counters, and the pauses of 180 ms or more
// in serve's data acknowledgements (its snd_una, sampled every 5 ms).
//
// serve reads SERVE_KNOBS only with the experiment patch applied:
//
//   git apply bench/repro/serve-knobs.patch && npm run build
//   sudo node bench/repro/serve-knobs.mjs bench/repro/serve-knobs.json > table.md
//   git apply -R bench/repro/serve-knobs.patch && npm run build
//
// The JSON names the variants: {"rounds": 7, "size": "1G", "clients": ["get"], "variants": [
//   {"name": "base", "knobs": {}, "clients": ["curl", "get"]}, {"name": "vsftpd", "vsftpd": true},
//   {"name": "sndbuf16M+lowat1M", "knobs": {"sndbuf": 16777216, "lowat": 1048576}}, ...]}
// Knobs (the patch's Knobs interface): wa (write-ahead bytes), chunk (bytes per write), ring (N
// reused 1 MiB buffers), cork (Node's cork per write), hwm (wait for 'drain' whenever write()
// says so), sndbuf (SO_SNDBUFFORCE), lowat (TCP_NOTSENT_LOWAT), nodelay, kcork (TCP_CORK for the
// whole transfer), poke (TCP_NODELAY=1 after that many ms without an acknowledgement).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = path.join(root, 'dist', 'bin', 'main.js');
const args = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const SIZES = { '100M': 100 << 20, '256M': 256 << 20, '512M': 512 << 20, '1G': 1 << 30 };
const size = args.size ?? '1G';
const bytes = SIZES[size];
if (!bytes) throw new Error(`size ${size}: one of ${Object.keys(SIZES).join(', ')}`);

const ns = `knobs-${process.pid}`;
const scratch = path.join('/dev/shm', ns);
const out = path.join(scratch, 'download.bin');
const run = (argv, options = {}) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', ...options });
const inNs = (argv) => ['ip', 'netns', 'exec', ns, ...argv];
const servers = [];
process.on('exit', () => {
  for (const s of servers) {
    try {
      process.kill(s.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  try {
    run(['ip', 'netns', 'del', ns]);
  } catch {
    // never created
  }
  rmSync(scratch, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

run(['ip', 'netns', 'add', ns]);
run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
mkdirSync(scratch, { recursive: true });

/** MPTcpExt and TcpExt counters of the namespace. */
function counters() {
  const lines = run(inNs(['cat', '/proc/net/netstat'])).split('\n');
  const values = {};
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i].split(/\s+/);
    const numbers = lines[i + 1].split(/\s+/);
    for (let j = 1; j < names.length; j++) values[`${names[0]}${names[j]}`] = Number(numbers[j]);
  }
  return values;
}
const COUNTERS = { R: 'MPTcpExt:MPTCPRetrans', D: 'MPTcpExt:DuplicateData', W: 'MPTcpExt:WinProbe' };

/** vsftpd under mptcpize with the SO_OOBINLINE shim (test/lab/shim), serving a random file at the same path. */
function vsftpdArgv(port) {
  const dir = path.join(scratch, 'vsftpd');
  mkdirSync(path.join(dir, 'root', 'probe'), { recursive: true });
  mkdirSync(path.join(dir, 'empty'), { recursive: true });
  execFileSync('head', ['-c', String(bytes), '/dev/urandom'], { stdio: ['ignore', openSync(path.join(dir, 'root', 'probe', size), 'w'), 'inherit'] });
  const shim = path.join(dir, 'oobinline-shim.so');
  run(['gcc', '-shared', '-fPIC', '-O2', '-o', shim, path.join(root, 'test', 'lab', 'shim', 'oobinline-shim.c'), '-ldl']);
  const config = {
    listen: 'YES', listen_ipv6: 'NO', listen_address: '127.0.0.1', listen_port: String(port), background: 'NO',
    seccomp_sandbox: 'NO', isolate: 'NO', isolate_network: 'NO', secure_chroot_dir: path.join(dir, 'empty'),
    anonymous_enable: 'YES', no_anon_password: 'YES', anon_root: path.join(dir, 'root'), local_enable: 'NO', write_enable: 'NO',
    pasv_enable: 'YES', pasv_min_port: '30000', pasv_max_port: '30099', max_per_ip: '0', max_clients: '0', hide_ids: 'YES',
  };
  writeFileSync(path.join(dir, 'vsftpd.conf'), `${Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
  const wrap = run(['mptcpize', 'run', 'printenv', 'LD_PRELOAD']).trim();
  return ['mptcpize', 'run', 'env', `LD_PRELOAD=${wrap} ${shim}`, 'vsftpd', path.join(dir, 'vsftpd.conf')];
}

let port = 2200;
for (const variant of args.variants) {
  variant.port = port++;
  variant.log = path.join(scratch, `${variant.name}.log`);
  const argv = variant.vsftpd ? vsftpdArgv(variant.port) : ['node', cli, 'serve', '--listen', `127.0.0.1:${variant.port}`, '--max-clients', '100'];
  const log = openSync(variant.log, 'w');
  const env = { ...process.env, SERVE_KNOBS: JSON.stringify({ ...(variant.knobs ?? {}), trace: true }) };
  variant.process = spawn('ip', ['netns', 'exec', ns, ...argv], { env, stdio: ['ignore', log, log] });
  servers.push(variant.process);
}
await new Promise((resolve) => setTimeout(resolve, 4000));

function clientArgv(client, variant) {
  const url = `ftp://127.0.0.1:${variant.port}/probe/${size}`;
  if (client === 'curl') return ['curl', '-sS', '-o', out, url];
  if (client === 'get') return ['node', cli, 'get', url, out, '--json'];
  throw new Error(`client ${client}: get or curl`);
}

/** serve's CPU time so far (s), from /proc (ip netns exec execs in place: the pid is the server's). */
function serverCpu(variant) {
  try {
    const fields = readFileSync(`/proc/${variant.process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const pairs = args.variants.flatMap((v) => (v.clients ?? args.clients).map((c) => [c, v]));
const results = {};
const timeFile = path.join(scratch, 'time.txt');
for (let round = 0; round < args.rounds; round++) {
  for (const [client, variant] of round % 2 === 0 ? pairs : [...pairs].reverse()) {
    rmSync(out, { force: true });
    const cpuBefore = serverCpu(variant);
    const before = counters();
    const started = performance.now();
    let exit = 0;
    try {
      run(inNs(['/usr/bin/time', '-f', '%U %S', '-o', timeFile, ...clientArgv(client, variant)]), { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      exit = error.status ?? -1;
    }
    const wallMs = performance.now() - started;
    const serveCpu = serverCpu(variant) - cpuBefore;
    await new Promise((resolve) => setTimeout(resolve, 150));
    const after = counters();
    const moved = Object.fromEntries(Object.entries(COUNTERS).map(([k, key]) => [k, (after[key] ?? 0) - (before[key] ?? 0)]));
    const logText = readFileSync(variant.log, 'utf8');
    const transfer = [...logText.matchAll(/transfer command=RETR .*?seconds=([\d.]+)/g)].pop();
    const gapLines = [...logText.matchAll(/^gaps \d+: (.*)$/gm)];
    const fresh = gapLines.length > (variant.gapsSeen ?? 0) ? gapLines.at(-1)[1] : undefined;
    variant.gapsSeen = gapLines.length;
    const pauses = fresh === undefined ? Number.NaN : [...fresh.matchAll(/(\d+)ms@/g)].filter((m) => Number(m[1]) >= 180).length;
    const [user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    const ok = exit === 0 && existsSync(out) && statSync(out).size === bytes;
    const entry = { wallMs, transferMs: transfer ? Number(transfer[1]) * 1000 : Number.NaN, cpu: user + sys, serveCpu, pauses, ok, load: os.loadavg()[0], ...moved };
    (results[`${variant.name}/${client}`] ??= []).push(entry);
    console.error(`${`${variant.name}/${client}`.padEnd(26)} round ${round + 1}: ${wallMs.toFixed(0)} ms, R/D/W ${moved.R}/${moved.D}/${moved.W}, pauses ${pauses}${ok ? '' : ` FAILED (exit ${exit})`}, load ${entry.load.toFixed(1)}`);
  }
}

const median = (values) => {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const reference = results[`${args.variants[0].name}/curl`];
console.log(`${size} per run, ${args.rounds} rounds alternated, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end`);
console.log('');
console.log('| variant | client | wall ms (median) | MB/s (median, wall) | serve transfer ms | CPU s client / serve | serve CPU s per GiB | runs with MPTCPRetrans | MPTCPRetrans/DuplicateData/WinProbe per run | pauses >= 180 ms per run | pauses per GiB | wall / reference curl | load (1 min) |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const [key, runs] of Object.entries(results)) {
  const [name, client] = key.split('/');
  const ratio = reference ? median(runs.map((r, i) => reference[i].wallMs / r.wallMs)) : Number.NaN;
  const gib = bytes / 2 ** 30;
  const sum = (values) => values.reduce((a, b) => a + b, 0);
  const loads = runs.map((r) => r.load);
  console.log(`| ${name} | ${client} | ${median(runs.map((r) => r.wallMs)).toFixed(0)} | ${median(runs.map((r) => bytes / 1e6 / (r.wallMs / 1000))).toFixed(0)} | ` +
    `${median(runs.map((r) => r.transferMs)).toFixed(0)} | ${median(runs.map((r) => r.cpu)).toFixed(2)} / ${median(runs.map((r) => r.serveCpu)).toFixed(2)} | ` +
    `${median(runs.map((r) => r.serveCpu / gib)).toFixed(2)} | ${runs.filter((r) => r.R > 0).length}/${runs.length} | ` +
    `${runs.map((r) => `${r.R}/${r.D}/${r.W}`).join(' ')} | ${runs.map((r) => r.pauses).join(' ')} | ${(sum(runs.map((r) => r.pauses)) / (runs.length * gib)).toFixed(1)} | ` +
    `${ratio.toFixed(2)} | ${Math.min(...loads).toFixed(1)} - ${Math.max(...loads).toFixed(1)} |`);
}
process.exit(0);
