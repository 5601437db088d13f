// Writes man/mptcp-doctor.1 (package.json "man": npm installs it) from the command definitions
// themselves: each command module's builder is run against a yargs instance that records every
// option and positional it declares, and the commands and global options come from the built CLI's
// own completion answers (what yargs knows after main.ts wired everything). Nothing is listed by hand
// but the prose around it, so a new option shows up in the man page at the next build.
// Run after tsc and the bundle (npm run build does).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import yargs from 'yargs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const cli = join(root, 'dist', 'bin', 'main.js');
const { commandEntries } = await import(pathToFileURL(join(root, 'dist', 'src', 'cli', 'commands', 'index.js')).href);

/** roff-safe text: backslashes, and a leading dot or quote that roff would take for a request. */
function esc(text) {
  return String(text).replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
}

/** What the CLI offers at this point of a command line, as zsh completion sees it: [name, description]. */
function completions(...words) {
  const out = execFileSync(process.execPath, [cli, '--get-yargs-completions', 'mptcp-doctor', ...words], {
    env: { ...process.env, SHELL: '/bin/zsh' },
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean).map((line) => {
    const at = line.search(/(?<!\\):/);
    return at === -1 ? [line, ''] : [line.slice(0, at).replace(/\\:/g, ':'), line.slice(at + 1)];
  });
}

/** Every .option()/.positional() a builder declares, in order. */
function recordBuilder(module) {
  const options = [];
  const positionals = [];
  const y = yargs([]);
  const option = y.option.bind(y);
  const record = (key, spec) => {
    if (typeof key === 'object') {
      for (const [k, s] of Object.entries(key)) record(k, s);
      return y;
    }
    options.push({ key, ...spec });
    return option(key, spec);
  };
  y.option = record;
  y.options = record;
  y.positional = (key, spec) => {
    positionals.push({ key, ...spec });
    return y;
  };
  module.builder(y);
  return { options: options.filter((o) => !o.hidden), positionals };
}

function placeholder(spec) {
  if (spec.type === 'boolean') return '';
  if (spec.choices) return ` \\fI${spec.choices.map(esc).join('|')}\\fR`;
  return ` \\fI${spec.type === 'number' ? 'N' : esc(spec.key.toUpperCase())}\\fR${spec.array ? '...' : ''}`;
}

function optionEntry(spec) {
  const aliases = [spec.alias ?? []].flat().map((a) => (a.length === 1 ? `\\fB\\-${esc(a)}\\fR` : `\\fB\\-\\-${esc(a)}\\fR`));
  const names = [...aliases, `\\fB\\-\\-${esc(spec.key)}\\fR`].join(', ');
  let text = esc(spec.describe ?? '');
  const shown = spec.default !== undefined && spec.default !== false && !/default/i.test(spec.describe ?? '');
  if (shown) text += ` (default: ${esc(spec.default)})`;
  if (spec.array && spec.type !== 'boolean') text += ' (repeatable)';
  return `.TP\n${names}${placeholder(spec)}\n${text}`;
}

const commandNames = new Map(completions('').map(([name, describe]) => [name, describe]));
const globals = [];
for (const [name, describe] of completions('--')) {
  const key = name.replace(/^-+/, '');
  const previous = globals.at(-1);
  // yargs lists a one-letter alias right after its option, with the same description.
  if (key.length === 1 && previous && previous.describe === describe) previous.alias = key;
  else globals.push({ key, describe, type: 'boolean' });
}

const sections = [];
for (const entry of commandEntries) {
  const module = await entry.load();
  const { options, positionals } = recordBuilder(module);
  const [usage] = [module.command].flat();
  const name = usage.split(' ')[0];
  const args = usage.split(' ').slice(1).map((word) => {
    const optional = word.startsWith('[');
    const bare = word.replace(/[[\]<>]/g, '').replace(/\.\.$/, '');
    return `${optional ? '[' : ''}\\fI${esc(bare)}\\fR${word.includes('..') ? '...' : ''}${optional ? ']' : ''}`;
  });
  const isDefault = [module.command].flat().includes('$0');
  const lines = [`.SS "mptcp\\-doctor ${esc(name)}${args.length > 0 ? ` ${args.join(' ')}` : ''}"`, esc(module.describe) + (isDefault ? '. The default command: plain \\fBmptcp\\-doctor\\fR runs it.' : '.')];
  for (const positional of positionals) lines.push(`.TP\n\\fI${esc(positional.key)}\\fR\n${esc(positional.describe ?? '')}`);
  for (const option of options) lines.push(optionEntry(option));
  sections.push(lines.join('\n'));
  commandNames.delete(name);
}
// Commands main.ts adds itself (completion): no builder here, their description from the CLI.
for (const [name, describe] of commandNames) sections.push(`.SS "mptcp\\-doctor ${esc(name)}"\n${esc(describe)}.`);

const page = `.\\" Generated by scripts/man.mjs from the command definitions: do not edit.
.TH MPTCP\\-DOCTOR 1 "" "mptcp\\-doctor ${esc(pkg.version)}" "User Commands"
.nh
.ad l
.SH NAME
mptcp\\-doctor \\- ${esc(pkg.description.replace(/^Tells/, 'tells'))}
.SH SYNOPSIS
.B mptcp\\-doctor
[\\fIcommand\\fR] [\\fIoptions\\fR]
.SH DESCRIPTION
\\fBmptcp\\-doctor\\fR tells whether Multipath TCP (MPTCP, RFC 8684) works on this host and on a path,
and why not when it does not. \\fBcheck\\fR audits the host (kernel, sysctls, path manager, endpoints,
limits, routing) and proves MPTCP on loopback; \\fBprobe\\fR runs a real FTP transfer over MPTCP and says,
per connection, whether MPTCP held; \\fBserve\\fR is the far end for probes; \\fBreport\\fR merges many
hosts' results into one fleet view.
.PP
Every command prints a human report on standard output, or exactly one JSON object with \\fB\\-\\-json\\fR;
logs go to standard error.
.SH COMMANDS
${sections.join('\n')}
.SH GLOBAL OPTIONS
${globals.map(optionEntry).join('\n')}
.SH EXIT STATUS
.TP
.B 0
All good.
.TP
.B 1
The tool ran and found a problem: a check failed, MPTCP did not hold on a probe, a host of a
\\fBreport\\fR has a failing check.
.TP
.B 2
Usage error.
.TP
.B 3
Could not run: not root for \\fBfix\\fR, the native addon missing, not Linux.
.TP
.B 4
Network or transfer failure.
.TP
.B 70
Internal error (run with \\fB\\-\\-debug\\fR for the stack).
.SH ENVIRONMENT
.TP
.B MPTCP_DOCTOR_ADDON
Path of another build of the native addon to load.
.TP
.B TMPDIR
The single executable writes its embedded addon to a private directory here for the moment it takes
to load it; it must allow executables (not mounted noexec).
.TP
.B NO_COLOR
No colours in the report.
.SH EXAMPLES
.nf
mptcp\\-doctor
mptcp\\-doctor check \\-\\-format prometheus \\e
    \\-\\-output /var/lib/prometheus/node\\-exporter/mptcp\\-doctor.prom
mptcp\\-doctor serve \\-\\-listen 0.0.0.0:2121
mptcp\\-doctor probe ftp://server.example.org:2121/
mptcp\\-doctor report fleet/
mptcp\\-doctor completion >> ~/.bashrc
.fi
.SH SEE ALSO
.BR ip\\-mptcp (8),
.BR sysctl (8)
`;
mkdirSync(join(root, 'man'), { recursive: true });
writeFileSync(join(root, 'man', 'mptcp-doctor.1'), page);
