// Text that came from elsewhere (a server's reply, a client's command, a file we did not write)
// made safe to print: a control character could move the cursor, recolour or retitle the terminal
// (C1 controls too: U+009B is a CSI on many terminals), so each becomes '?', and long text is cut.

export function printable(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
