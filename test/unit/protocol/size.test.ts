// Probe sizes as names round-trip: the name formatSize gives any size parses back to that size, in
// any case and with a "B"/"iB" suffix a person might add; and the name is the shortest exact one.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { formatSize, GIB, KIB, MIB, parseSize } from '../../../src/protocol/size.js';

const TIB = 1024 * GIB;
const UNITS = [1, KIB, MIB, GIB, TIB];
/** Any size that fits in a safe integer, weighted towards the multiples of a unit that probes use. */
const size = fc.oneof(
  fc.maxSafeNat(),
  fc.tuple(fc.nat(4096), fc.constantFrom(...UNITS)).map(([count, unit]) => count * unit),
);

test('parseSize(formatSize(n)) is n for every size', () => {
  fc.assert(
    fc.property(size, (n) => {
      expect(parseSize(formatSize(n))).toBe(n);
    }),
  );
});

test('the formatted name parses back in lower case and with a B or iB suffix', () => {
  fc.assert(
    fc.property(size, fc.constantFrom('', 'B', 'iB'), (n, suffix) => {
      const name = formatSize(n);
      // A plain byte count takes "B" but not "iB" ("1000iB" names no binary unit).
      fc.pre(suffix !== 'iB' || /[KMGT]$/.test(name));
      expect(parseSize(`${name}${suffix}`.toLowerCase())).toBe(n);
    }),
  );
});

test('the name uses the largest unit that divides the size, so no other unit name is shorter', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1 << 20 }), fc.constantFrom(...UNITS), (count, unit) => {
      const name = formatSize(count * unit);
      const value = Number(/^\d+/.exec(name)![0]);
      // Dividing further would need the next unit up: the count left is not a multiple of 1024, or the unit is T.
      expect(value % 1024 !== 0 || name.endsWith('T')).toBe(true);
      expect(name.length).toBeLessThanOrEqual(String(count * unit).length);
    }),
  );
});
