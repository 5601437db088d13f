// `conns --json` written in pieces: exactly JSON.stringify(report, null, 2), but the connections
// array (tens of thousands of objects on a busy host, twenty-odd megabytes of text) is serialized a
// few hundred elements at a time instead of into one string, then one buffer, of that size.

/** Elements of the streamed array per piece. */
const ELEMENTS_PER_PIECE = 64;

function indent(json: string, by: string): string {
  // JSON.stringify escapes every newline inside a string: the raw ones are its own line breaks.
  return json.includes('\n') ? json.replaceAll('\n', `\n${by}`) : json;
}

/**
 * The pieces of JSON.stringify(value, null, 2) for a plain object `value` whose property `key` is
 * an array, or any iterable (a generator making its elements one at a time), of plain data; each
 * piece is whole lines, and joined with newlines they are that text (with the iterable as an array).
 */
export function* jsonPieces(value: Record<string, unknown>, key: string): Generator<string> {
  let open = '{';
  let first = true;
  for (const [name, member] of Object.entries(value)) {
    // JSON.stringify leaves out what has no JSON form.
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    const label = `${first ? '' : ','}\n  ${JSON.stringify(name)}: `;
    first = false;
    if (name !== key || !isIterable(member)) {
      open += label + indent(JSON.stringify(member, null, 2), '  ');
      continue;
    }
    const elements = member[Symbol.iterator]();
    let next = elements.next();
    if (next.done) {
      open += `${label}[]`;
      continue;
    }
    yield `${open}${label}[`;
    let parts: string[] = [];
    while (!next.done) {
      // As in any array, what has no JSON form is null.
      const element = (JSON.stringify(next.value, null, 2) as string | undefined) ?? 'null';
      next = elements.next();
      parts.push(`    ${indent(element, '    ')}${next.done ? '' : ','}`);
      if (parts.length === ELEMENTS_PER_PIECE) {
        yield parts.join('\n');
        parts = [];
      }
    }
    if (parts.length > 0) yield parts.join('\n');
    open = '  ]';
  }
  yield `${open}${first ? '}' : '\n}'}`;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
}
