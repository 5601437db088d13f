// What every benchmark group gets: the configuration, the shared single-namespace lab, a log line
// writer, and helpers for our CLI and for files on tmpfs.
import { rmSync, statSync } from 'node:fs';
import type { Lab } from '../../test/lab/index.js';
import type { BenchConfig } from './config.js';
import type { GroupResult } from './figure.js';

export interface BenchContext {
  config: BenchConfig;
  /** a `direct` lab: everything loopback runs in its `server` namespace, on 127.0.0.1 */
  lab: Lab;
  log: (line: string) => void;
}

export interface BenchGroup {
  id: string;
  title: string;
  run: (ctx: BenchContext) => Promise<Omit<GroupResult, 'id' | 'title' | 'durationMs'>>;
}

/** Removes a file and its `.part` sibling (get downloads into FILE.part first). */
export function removeOutput(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.part`, { force: true });
}

/** A reason when `file` is not exactly `size` bytes. */
export function checkSize(file: string, size: number): string | undefined {
  try {
    const actual = statSync(file).size;
    return actual === size ? undefined : `${file} has ${actual} bytes, expected ${size}`;
  } catch {
    return `${file} was not written`;
  }
}

/** Parses the one JSON object our CLI prints with --json (undefined when it is not there). */
export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
