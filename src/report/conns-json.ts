// `conns --json` written in pieces: exactly JSON.stringify(report, null, 2), but the connections
// array (tens of thousands of objects on a busy host, twenty-odd megabytes of text) is serialized a
// few hundred elements at a time instead of into one string, then one buffer, of that size.

/** Elements of the streamed array per piece. */
const ELEMENTS_PER_PIECE = 256;

function indent(json: string, by: string): string {
  // JSON.stringify escapes every newline inside a string: the raw ones are its own line breaks.
  return json.includes('\n') ? json.replaceAll('\n', `\n${by}`) : json;
}

/**
 * The pieces of JSON.stringify(value, null, 2) for a plain object `value` whose property `key` is
 * an array of plain data; each piece is whole lines, and joined with newlines they are that text.
 */
export function* jsonPieces(value: Record<string, unknown>, key: string): Generator<string> {
  let open = '{';
  let first = true;
  for (const [name, member] of Object.entries(value)) {
    // JSON.stringify leaves out what has no JSON form.
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    const label = `${first ? '' : ','}\n  ${JSON.stringify(name)}: `;
    first = false;
    if (name !== key || !Array.isArray(member) || member.length === 0) {
      open += label + indent(JSON.stringify(member, null, 2), '  ');
      continue;
    }
    yield `${open}${label}[`;
    open = '';
    for (let start = 0; start < member.length; start += ELEMENTS_PER_PIECE) {
      const end = Math.min(start + ELEMENTS_PER_PIECE, member.length);
      const parts: string[] = [];
      for (let i = start; i < end; i++) {
        // As in any array, what has no JSON form is null.
        const element = (JSON.stringify(member[i], null, 2) as string | undefined) ?? 'null';
        parts.push(`    ${indent(element, '    ')}${i < member.length - 1 ? ',' : ''}`);
      }
      yield parts.join('\n');
    }
    open = '  ]';
  }
  yield `${open}${first ? '}' : '\n}'}`;
}
