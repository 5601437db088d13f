// The command registry: main.ts wires every module listed here, in this order.
import type { CommandModule } from '../command.js';
import { connectCommand } from './connect.js';
import { getCommand } from './get.js';
import { putCommand } from './put.js';
import { serveCommand } from './serve.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: Array<CommandModule<any>> = [connectCommand, getCommand, putCommand, serveCommand];
