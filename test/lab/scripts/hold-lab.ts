// Lab self-test helper: builds a lab, starts a few programs in it, prints what it made as one JSON
// line, then either waits to be killed (default) or exits without calling destroy (--exit), so the
// test can check that the signal/exit handlers clean up.
import { createLab } from '../index.js';

const exitMode = process.argv.includes('--exit');
const lab = await createLab({ topology: 'routed', links: 2 });
const sleeper = lab.spawn('server', ['sleep', '300']);
// A grandchild the lab did not start directly: sh forks sleep and waits.
const shell = lab.spawn('client', ['sh', '-c', 'sleep 300; true']);
await new Promise((r) => setTimeout(r, 100));
console.log(JSON.stringify({ namespaces: Object.values(lab.namespaces), pids: [sleeper.pid, shell.pid, ...lab.pids('client')], tmpDir: lab.tmpDir }));
if (exitMode) process.exit(0);
setInterval(() => undefined, 1000);
