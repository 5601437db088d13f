// Tokens in hex as ss and `ip mptcp monitor` print them, made by bytes from a table.
import { describe, expect, it } from 'vitest';
import { formatToken } from '../../../src/kernel/socket-token.js';

describe('formatToken', () => {
  it('writes 8 lower-case hex digits, as toString(16) padded would, across the 32-bit range', () => {
    const tokens = [0, 1, 0xff, 0x100, 0xabcdef, 0x7fffffff, 0x80000000, 0xfedcba98, 0xffffffff];
    for (let i = 0; i < 1000; i++) tokens.push(Math.floor(Math.random() * 0x100000000));
    for (const token of tokens) expect(formatToken(token)).toBe(token.toString(16).padStart(8, '0'));
  });
});
