// tsc does not set the executable bit; the bin entry must be runnable after `npm install`.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
