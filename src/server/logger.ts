// Server events as plain data. The CLI decides where they go (stderr, one JSON object per line with
// --json-log). Passwords never reach an event: the session redacts PASS before logging, and
// `printable` keeps control characters a client sent out of terminals and log files.
import { printable } from '../text/printable.js';

export type LogLevel = 'info' | 'warn' | 'error' | 'debug';

export interface ServerEvent {
  time: string;
  level: LogLevel;
  /** 'listening', 'connect', 'login', 'command', 'transfer', 'refused', 'disconnect', 'stopping', ... */
  event: string;
  /** Session id (per control connection). */
  session?: number;
  client?: string;
  message?: string;
  [field: string]: unknown;
}

export type ServerLogger = (event: ServerEvent) => void;

export function makeEvent(level: LogLevel, event: string, fields: Omit<ServerEvent, 'time' | 'level' | 'event'> = {}): ServerEvent {
  return { time: new Date().toISOString(), level, event, ...fields };
}

/** The command line as it may be logged: PASS arguments are replaced. */
export function redactCommand(verb: string, argument: string): string {
  if (verb === 'PASS') return 'PASS ****';
  return printable(argument ? `${verb} ${argument}` : verb);
}

/** One human line per event, for stderr without --json-log. */
export function formatEvent(event: ServerEvent): string {
  const { time, level, event: name, session, client, message, ...rest } = event;
  const extras = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const who = session !== undefined ? ` #${session}${client ? ` ${client}` : ''}` : '';
  return `${time} ${level}${who} ${name}${message ? `: ${message}` : ''}${extras ? ` ${extras}` : ''}`;
}
