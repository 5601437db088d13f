// Raw netlink bytes captured from Linux 6.18 by fixtures/capture.sh (scenario.py's sockets).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function fixture(name: string): Buffer {
  return readFileSync(path.join(here, name));
}
