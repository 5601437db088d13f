// The one name of a connection, in both of its forms: every report and verdict sentence uses these.
import { describe, expect, test } from 'vitest';
import { connectionName } from '../../../src/verdict/connection-name.js';

describe('connectionName', () => {
  test('labels for tables and JSON carry the mode, and the purpose when it is not the transfer', () => {
    expect(connectionName({ role: 'control', mode: 'epsv', purpose: 'control' }, 'label')).toBe('control');
    expect(connectionName({ role: 'data', mode: 'epsv', purpose: 'transfer' }, 'label')).toBe('data epsv');
    expect(connectionName({ role: 'data', mode: 'pasv' }, 'label')).toBe('data pasv');
    expect(connectionName({ role: 'data', mode: 'eprt', purpose: 'checksum' }, 'label')).toBe('data eprt (checksum)');
    expect(connectionName({ role: 'data', mode: 'port', purpose: 'upload' }, 'label')).toBe('data port (upload)');
  });

  test('nouns for sentences name the mode and never the purpose', () => {
    expect(connectionName({ role: 'control', mode: 'epsv' }, 'noun')).toBe('control connection');
    expect(connectionName({ role: 'data', mode: 'epsv', purpose: 'checksum' }, 'noun')).toBe('data connection (epsv)');
  });

  test('a data connection without a mode says so instead of inventing one', () => {
    expect(connectionName({ role: 'data' }, 'label')).toBe('data ?');
    expect(connectionName({ role: 'data' }, 'noun')).toBe('data connection (?)');
  });
});
