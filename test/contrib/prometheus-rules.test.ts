// The alerting rules in contrib/prometheus, checked and unit-tested by Prometheus' own promtool:
// every alert has a test in which it fires (on exactly its host), and the rules parse.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../support/dist.js';
import { missingRequirement } from '../support/gate.js';

const dir = join(packageRoot, 'contrib', 'prometheus');
const skip = missingRequirement('Prometheus alerting rules', 'tool:promtool');

describe.skipIf(skip)('contrib/prometheus rules', () => {
  it('promtool check rules accepts them', async () => {
    const result = await execa('promtool', ['check', 'rules', 'mptcp-doctor.rules.yml'], { cwd: dir, reject: false });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 6 rules found');
  });

  it('every alert has a unit test in which it fires', () => {
    const rules = readFileSync(join(dir, 'mptcp-doctor.rules.yml'), 'utf8');
    const tests = readFileSync(join(dir, 'mptcp-doctor.rules.test.yml'), 'utf8');
    const alerts = [...rules.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1]!);
    expect(alerts).toEqual(['MptcpDisabled', 'MptcpChecksumsOff', 'MptcpSelfTestFailing', 'MptcpCheckFailing', 'MptcpProbeFellBack', 'MptcpDoctorStale']);
    for (const alert of alerts) expect(tests).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`));
  });

  it('promtool test rules passes', async () => {
    const result = await execa('promtool', ['test', 'rules', 'mptcp-doctor.rules.test.yml'], { cwd: dir, reject: false });
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
  });
});
