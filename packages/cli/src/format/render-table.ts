export type Tone = "good" | "warn" | "bad" | "dim";

/** A table cell: plain text, or text with a tone that a colour terminal shows in colour. */
export type Cell = string | { readonly text: string; readonly tone: Tone };

export interface Column {
  readonly header: string;
  readonly align?: "left" | "right";
}

const ANSI: Readonly<Record<Tone | "header", string>> = {
  good: "\x1b[32m",
  warn: "\x1b[33m",
  bad: "\x1b[31m",
  dim: "\x1b[2m",
  header: "\x1b[1m",
};
const RESET = "\x1b[0m";
const GAP = "  ";

/** Pure: aligned columns, two spaces apart, no trailing blanks; colour only when `color`. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly Cell[])[],
  options: { color: boolean },
): string[] {
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((row) => textOf(row[index]).length)),
  );
  const line = (cells: readonly Cell[], header: boolean): string =>
    columns
      .map((column, index) => {
        const cell = cells[index] ?? "";
        const text = textOf(cell);
        const width = widths[index] ?? text.length;
        const padded = column.align === "right" ? text.padStart(width) : text.padEnd(width);
        const tone = header ? "header" : typeof cell === "string" ? undefined : cell.tone;
        return options.color && tone !== undefined && text.length > 0
          ? paint(padded, text, ANSI[tone])
          : padded;
      })
      .join(GAP)
      .trimEnd();
  return [
    line(
      columns.map((column) => column.header),
      true,
    ),
    ...rows.map((row) => line(row, false)),
  ];
}

function textOf(cell: Cell | undefined): string {
  if (cell === undefined) return "";
  return typeof cell === "string" ? cell : cell.text;
}

/** Colours the text only, not the padding, so `trimEnd` still finds the blanks. */
function paint(padded: string, text: string, code: string): string {
  const start = padded.indexOf(text);
  return `${padded.slice(0, start)}${code}${text}${RESET}${padded.slice(start + text.length)}`;
}
