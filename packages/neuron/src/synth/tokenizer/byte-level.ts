/**
 * GPT-2's byte ↔ printable-character table: bytes that are printable Latin-1 map to themselves, the
 * others to U+0100 and up, so every token of a byte-level BPE vocabulary is a readable string.
 */
function buildByteToChar(): readonly string[] {
  const direct: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) direct.push(b);
  for (let b = 0xa1; b <= 0xac; b++) direct.push(b);
  for (let b = 0xae; b <= 0xff; b++) direct.push(b);
  const table: string[] = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(direct.includes(b) ? b : 256 + next++);
  }
  return table;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((char, byte) => [char, byte]));

export function bytesToTokenText(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += BYTE_TO_CHAR[byte];
  return text;
}

export function tokenTextToBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of text) {
    const byte = CHAR_TO_BYTE.get(char);
    if (byte === undefined) throw new Error(`not a byte-level token text: ${JSON.stringify(text)}`);
    bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}
