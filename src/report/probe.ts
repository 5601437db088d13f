// Human rendering of a probe: the verdict line first, then a table per run, the evidence and advice.
import { runConnections, type ProbeResult } from '../probe/probe.js';
import type { ConnectionRecord } from '../session/record.js';
import type { Verdict } from '../verdict/verdict.js';
import { formatBytes } from './connection.js';
import { paint, renderTable, TERMINAL_WIDTH } from './table.js';
import { wrapText } from './wrap.js';

const STATUS_TEXT: Record<Verdict['status'], string> = {
  held: 'MPTCP held',
  degraded: 'MPTCP held but degraded',
  'fell-back': 'MPTCP fell back to TCP',
  'not-attempted': 'MPTCP not attempted',
};

function statusColor(status: Verdict['status']): 'green' | 'yellow' | 'red' {
  return status === 'held' ? 'green' : status === 'degraded' ? 'yellow' : 'red';
}

export function verdictLine(verdict: Verdict, color: boolean): string {
  const text = STATUS_TEXT[verdict.status] + (verdict.cause === 'none' ? '' : `: ${verdict.cause}`);
  return paint(color, statusColor(verdict.status), text);
}

/** State changes only: "mptcp/1 connect..login > mptcp/2 after-EPSV..end". */
export function timeline(connection: ConnectionRecord): string {
  const segments: Array<{ state: string; first: string; last: string }> = [];
  for (const sample of connection.samples) {
    const state = `${sample.state}/${sample.subflows}`;
    const current = segments.at(-1);
    if (current && current.state === state) current.last = sample.phase;
    else segments.push({ state, first: sample.phase, last: sample.phase });
  }
  if (segments.length === 0) return 'no sample';
  return segments.map((s) => `${s.state} ${s.first}${s.last !== s.first ? `..${s.last}` : ''}`).join(' > ');
}

/** One row per run: the mode, then control and transfer-data status: a matrix for --mode all. */
export function renderMatrix(result: ProbeResult, color: boolean): string {
  const rows = [['mode', 'control', 'data', 'verdict']];
  result.runs.forEach((run, index) => {
    const connections = runConnections(result, index);
    const control = connections.find((c) => c.role === 'control');
    const data = connections.find((c) => c.role === 'data' && c.purpose === 'transfer');
    const cell = (c: ConnectionRecord | undefined) => (c ? paint(color, statusColor(c.status), c.status) : '-');
    rows.push([run.mode, cell(control), cell(data), run.verdict.cause === 'none' ? run.verdict.status : `${run.verdict.status}: ${run.verdict.cause}`]);
  });
  return renderTable(rows);
}

/** A list item wrapped to the terminal: "  - text", continuation lines under the text. */
function bullet(text: string, indent = '  - '): string {
  return wrapText(text, TERMINAL_WIDTH, ' '.repeat(indent.length), indent);
}

export function renderProbe(result: ProbeResult, color: boolean, verbose = false): string {
  const lines: string[] = [];
  if (result.outcome === 'could-not-run' && result.error) {
    lines.push(wrapText(`${result.target.url}: ${paint(color, 'red', result.error.message)}`, TERMINAL_WIDTH, '  ', ''));
    lines.push(wrapText(`what was observed before: ${verdictLine(result.verdict, color)} (no MPTCP cause without MPTCP evidence)`, TERMINAL_WIDTH, '  ', '  '));
  } else {
    lines.push(`${result.target.url}: ${verdictLine(result.verdict, color)}`);
  }
  const t = result.transfer;
  const rate = t.seconds > 0 ? ` at ${formatBytes(t.bytes / t.seconds)}/s` : '';
  const digest =
    t.matched === null
      ? t.notVerified ? paint(color, 'yellow', `, NOT VERIFIED (${t.notVerified})`) : ''
      : t.matched ? ', SHA-256 matched' : paint(color, 'red', ', SHA-256 MISMATCH');
  lines.push(wrapText(`transferred ${formatBytes(t.bytes)} in ${t.seconds.toFixed(2)} s${rate}${digest}; far end: ${result.target.server === 'serve' ? 'mptcp-doctor serve' : 'FTP server'}`, TERMINAL_WIDTH, '  ', ''));
  if (result.runs.length > 1) {
    lines.push('');
    lines.push(renderMatrix(result, color).trimEnd());
  }
  result.runs.forEach((run, index) => {
    const connections = runConnections(result, index);
    lines.push('');
    const stopped = run.error ? ` (${run.outcome === 'could-not-run' ? 'could not run' : 'stopped'}: ${run.error.message})` : '';
    lines.push(wrapText(`${run.mode} mode: ${verdictLine(run.verdict, color)}${stopped}`, TERMINAL_WIDTH, '  ', ''));
    const rows = [['connection', 'status', 'cause', 'subflows']];
    for (const c of connections) {
      const most = Math.max(1, ...c.samples.map((s) => s.subflows));
      rows.push([c.label, paint(color, statusColor(c.status), c.status), c.cause, `${most} of ${c.expectedSubflows}`]);
    }
    lines.push(renderTable(rows).trimEnd());
    // state/subflows over time: "mptcp/1 connect..login > mptcp/2 after-EPSV..end"
    for (const c of connections) lines.push(wrapText(timeline(c), TERMINAL_WIDTH, '    ', `  ${c.label}: `));
    if (verbose) for (const note of run.notes) lines.push(bullet(`note: ${note}`, '  '));
    for (const anomaly of run.anomalies) lines.push(bullet(`odd reply: ${anomaly.code} ${anomaly.text} (to ${anomaly.command})`, '  '));
  });
  // Findings worth a line even when MPTCP held (a stall costs about 200 ms each).
  if (result.notes.length > 0) {
    lines.push('');
    for (const note of result.notes) lines.push(wrapText(`note: ${note}`, TERMINAL_WIDTH, '  ', ''));
  }
  if (result.verdict.status !== 'held' || result.outcome === 'could-not-run' || verbose) {
    lines.push('');
    lines.push('evidence:');
    for (const fact of result.verdict.evidence) lines.push(bullet(fact));
    const counters = Object.entries(result.counters.client).filter(([name]) => name !== 'MPCurrEstab');
    if (counters.length > 0) lines.push(bullet(`client MPTcpExt deltas: ${counters.map(([n, v]) => `${n} +${v}`).join(', ')}`));
    for (const run of result.runs) {
      const after = Object.entries(run.counters.clientAfterGiveUp ?? {}).filter(([name]) => name !== 'MPCurrEstab');
      if (run.gaveUp && after.length > 0) {
        lines.push(bullet(`after the client gave up (${run.gaveUp.reason}), not judged: ${after.map(([n, v]) => `${n} +${v}`).join(', ')}`));
      }
    }
    if (result.counters.server) {
      const server = Object.entries(result.counters.server).filter(([name]) => name !== 'MPCurrEstab');
      if (server.length > 0) lines.push(bullet(`server MPTcpExt deltas: ${server.map(([n, v]) => `${n} +${v}`).join(', ')}`));
    }
    if (result.verdict.advice.length > 0) {
      lines.push('advice:');
      for (const advice of result.verdict.advice) lines.push(bullet(advice));
    }
  }
  return lines.join('\n');
}
