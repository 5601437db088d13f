// The command registry: main.ts wires every module listed here, in this order.
import type { CommandModule } from '../command.js';
import { checkCommand } from './check.js';
import { connectCommand } from './connect.js';
import { fixCommand } from './fix.js';
import { getCommand } from './get.js';
import { probeCommand } from './probe.js';
import { putCommand } from './put.js';
import { serveCommand } from './serve.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: Array<CommandModule<any>> = [checkCommand, fixCommand, connectCommand, getCommand, putCommand, probeCommand, serveCommand];
