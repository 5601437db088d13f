// The fleet view: many hosts' `check --json` and `probe --json` documents merged into one report.
// Pure data in, data out: reading the files is fleet-files.ts, rendering is fleet-table.ts and
// fleet-prometheus.ts. A document that is not one of ours, or not whole, is named and skipped.
// Every string taken from a file (or a file's name) goes through printable(): the files come from
// other hosts, and the report is read on a terminal.
import { basename, dirname } from 'node:path';
import type { ResultStatus } from '../../checks/types.js';
import { printable } from '../text/printable.js';

export const REPORT_SCHEMA = 'mptcp-doctor/report/v1';
export const CHECK_SCHEMA = 'mptcp-doctor/check/v1';
export const PROBE_SCHEMA = 'mptcp-doctor/probe/v1';

const RESULT_STATUSES: readonly string[] = ['pass', 'warn', 'fail', 'skip', 'error'];
/** Worst first: the order problems and groups are listed in. */
const SEVERITY: readonly string[] = ['error', 'fail', 'not-attempted', 'fell-back', 'degraded', 'warn'];

/** One file as read from disk. */
export interface InputFile {
  path: string;
  text: string;
  /** When the file was written: the time of the audit it holds (the documents carry none). */
  mtimeMs: number;
}

export interface HostCheck {
  id: string;
  status: ResultStatus;
  summary: string;
  durationMs: number;
}

export interface HostProbe {
  file: string;
  target: string;
  /** The probe's overall verdict (held, degraded, fell-back, not-attempted). */
  status: string;
  cause: string;
  /** As `probe` decides its exit code: every connection held and no run failed. */
  held: boolean;
  timestamp: number;
}

/** Something wrong on a host: a check that did not pass (or skip), or a probe that did not hold. */
export interface Problem {
  /** A check id, or `probe <target>`. */
  id: string;
  status: string;
  summary: string;
}

export interface HostReport {
  host: string;
  checkFile?: string;
  /** When the check result was written (file time, Unix ms). */
  checkTimestamp?: number;
  checks: HostCheck[];
  probes: HostProbe[];
  problems: Problem[];
  /** A check failed or errored, or a probe did not hold: what makes `report` exit 1. */
  failing: boolean;
}

export interface ProblemGroup {
  /** `id status` pairs shared by every host of the group; empty for the hosts without problems. */
  problems: Array<{ id: string; status: string; summary?: string }>;
  hosts: string[];
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface FleetReport {
  schema: typeof REPORT_SCHEMA;
  /** Every check id seen, in the order the check results list them. */
  checkIds: string[];
  hosts: HostReport[];
  groups: ProblemGroup[];
  skipped: SkippedFile[];
  summary: { hosts: number; failing: number; warning: number; ok: number; skippedFiles: number; allOk: boolean };
}

/**
 * Which host a file speaks for. The documents do not name their host, so the path does:
 * `DIR/HOST/check.json`, `DIR/HOST/probe.json` or `DIR/HOST/probe-NAME.json` (what the Ansible
 * playbook fetches), else the file name: `HOST.json`, `HOST.check.json`, `HOST.probe.json`.
 */
export function hostOf(path: string): string {
  const name = basename(path).replace(/\.json$/i, '');
  if (/^(check|probe)([-_.].*)?$/i.test(name)) {
    const parent = basename(dirname(path));
    if (parent && parent !== '.' && parent !== '/') return parent;
  }
  return name.replace(/\.(check|probe)([-_][^.]*)?$/i, '') || name;
}

type Parsed =
  | { kind: 'check'; checks: HostCheck[] }
  | { kind: 'probe'; target: string; status: string; cause: string; held: boolean }
  | { kind: 'skip'; reason: string };

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCheck(document: Record<string, unknown>): Parsed {
  if (!Array.isArray(document.checks)) return { kind: 'skip', reason: `${CHECK_SCHEMA} without a checks list` };
  const checks: HostCheck[] = [];
  for (const [index, entry] of document.checks.entries()) {
    if (!isRecord(entry) || typeof entry.id !== 'string' || typeof entry.status !== 'string' || !RESULT_STATUSES.includes(entry.status)) {
      return { kind: 'skip', reason: `${CHECK_SCHEMA} with a malformed checks[${index}] (needs id and a status of ${RESULT_STATUSES.join('/')})` };
    }
    checks.push({
      id: printable(entry.id),
      status: entry.status as ResultStatus,
      summary: typeof entry.summary === 'string' ? printable(entry.summary, 1000) : '',
      durationMs: typeof entry.durationMs === 'number' ? entry.durationMs : 0,
    });
  }
  return { kind: 'check', checks };
}

function parseProbe(document: Record<string, unknown>): Parsed {
  const { target, verdict, connections, runs } = document;
  if (!isRecord(target) || typeof target.url !== 'string' || !isRecord(verdict) || typeof verdict.status !== 'string' || !Array.isArray(connections)) {
    return { kind: 'skip', reason: `${PROBE_SCHEMA} without target.url, verdict.status or connections` };
  }
  // The probe command's own rule for its exit code 0 (src/probe/probe.ts, probeHeld).
  const held =
    connections.length > 0 &&
    connections.every((c) => isRecord(c) && c.status === 'held') &&
    (!Array.isArray(runs) || runs.every((r) => isRecord(r) && !r.error));
  return {
    kind: 'probe',
    target: printable(target.url),
    status: printable(verdict.status, 40),
    cause: typeof verdict.cause === 'string' ? printable(verdict.cause, 80) : 'unknown',
    held,
  };
}

/** What one file holds: a check result, a probe result, or a reason to skip it. */
export function parseDocument(text: string): Parsed {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { kind: 'skip', reason: `not JSON: ${truncate(printable((error as Error).message.replace(/\s+/g, ' ')), 100)}` };
  }
  if (!isRecord(document)) return { kind: 'skip', reason: 'not a JSON object' };
  if (document.schema === CHECK_SCHEMA) return parseCheck(document);
  if (document.schema === PROBE_SCHEMA) return parseProbe(document);
  const schema = typeof document.schema === 'string' ? `schema ${printable(document.schema, 80)}` : 'no schema field';
  return { kind: 'skip', reason: `not a check or probe result (${schema})` };
}

function severity(status: string): number {
  const index = SEVERITY.indexOf(status);
  return index === -1 ? SEVERITY.length : index;
}

function hostProblems(host: Pick<HostReport, 'checks' | 'probes'>): Problem[] {
  const problems: Problem[] = [
    ...host.checks.filter((c) => c.status !== 'pass' && c.status !== 'skip').map((c) => ({ id: c.id, status: c.status, summary: c.summary })),
    ...host.probes.filter((p) => !p.held).map((p) => ({ id: `probe ${p.target}`, status: p.status, summary: `MPTCP ${p.status} (${p.cause})` })),
  ];
  return problems.sort((a, b) => severity(a.status) - severity(b.status));
}

/** Hosts sharing exactly the same problems, worst groups first, then the biggest. */
export function groupHosts(hosts: readonly HostReport[]): ProblemGroup[] {
  const groups = new Map<string, { problems: Problem[][]; hosts: string[] }>();
  for (const host of hosts) {
    const key = host.problems.map((p) => `${p.id}\u0000${p.status}`).sort().join('\u0001');
    const group = groups.get(key) ?? { problems: [], hosts: [] };
    group.problems.push(host.problems);
    group.hosts.push(host.host);
    groups.set(key, group);
  }
  const result: ProblemGroup[] = [...groups.values()].map((group) => ({
    hosts: group.hosts,
    // The summary line only when every host of the group says the same (it often names addresses).
    problems: group.problems[0]!.map((problem) => {
      const same = group.problems.every((list) => list.find((p) => p.id === problem.id)?.summary === problem.summary);
      return { id: problem.id, status: problem.status, ...(same && problem.summary ? { summary: problem.summary } : {}) };
    }),
  }));
  const worst = (group: ProblemGroup) => Math.min(SEVERITY.length + 1, ...group.problems.map((p) => severity(p.status)));
  return result.sort((a, b) => worst(a) - worst(b) || b.hosts.length - a.hosts.length || a.hosts[0]!.localeCompare(b.hosts[0]!));
}

/** Merges the files (in the order given) into the fleet report. */
export function buildFleetReport(files: readonly InputFile[], unreadable: readonly SkippedFile[] = []): FleetReport {
  const skipped: SkippedFile[] = unreadable.map((u) => ({ file: printable(u.file, 4096), reason: printable(u.reason) }));
  const hosts = new Map<string, HostReport>();
  const checkIds: string[] = [];
  const hostFor = (name: string) => {
    let host = hosts.get(name);
    if (!host) hosts.set(name, (host = { host: name, checks: [], probes: [], problems: [], failing: false }));
    return host;
  };
  for (const input of files) {
    const file = { ...input, path: printable(input.path, 4096) };
    const parsed = parseDocument(file.text);
    if (parsed.kind === 'skip') {
      skipped.push({ file: file.path, reason: parsed.reason });
      continue;
    }
    const name = hostOf(file.path);
    if (parsed.kind === 'check') {
      const existing = hosts.get(name);
      if (existing?.checkFile) {
        skipped.push({ file: file.path, reason: `a second check result for host ${name} (first: ${existing.checkFile})` });
        continue;
      }
      const host = hostFor(name);
      host.checkFile = file.path;
      host.checkTimestamp = file.mtimeMs;
      host.checks = parsed.checks;
      for (const check of parsed.checks) if (!checkIds.includes(check.id)) checkIds.push(check.id);
    } else {
      hostFor(name).probes.push({ file: file.path, target: parsed.target, status: parsed.status, cause: parsed.cause, held: parsed.held, timestamp: file.mtimeMs });
    }
  }
  const list = [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
  for (const host of list) {
    host.problems = hostProblems(host);
    host.failing = host.checks.some((c) => c.status === 'fail' || c.status === 'error') || host.probes.some((p) => !p.held);
  }
  const failing = list.filter((h) => h.failing).length;
  const warning = list.filter((h) => !h.failing && h.problems.length > 0).length;
  return {
    schema: REPORT_SCHEMA,
    checkIds,
    hosts: list,
    groups: groupHosts(list),
    skipped,
    summary: { hosts: list.length, failing, warning, ok: list.length - failing - warning, skippedFiles: skipped.length, allOk: failing === 0 },
  };
}
