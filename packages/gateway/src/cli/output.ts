import { stripVTControlCharacters } from 'node:util';

/**
 * Human output: aligned tables, colour only on a terminal. NO_COLOR (https://no-color.org) turns colour
 * off whatever else is set; FORCE_COLOR turns it on where there is no terminal.
 */
export function colourEnabled(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
export type Style = keyof typeof CODES;

export function paint(text: string, style: Style, on = colourEnabled()): string {
  return on ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

const STATUS_STYLES: Record<string, Style> = {
  active: 'green',
  rotating: 'yellow',
  'rotation due': 'yellow',
  expired: 'red',
  revoked: 'red',
  disabled: 'red',
};

export function status(text: string): string {
  const style = STATUS_STYLES[text];
  return style ? paint(text, style) : text;
}

/** Columns padded to their widest cell (measured without colour codes); the header dimmed. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => stripVTControlCharacters(r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] as number) - stripVTControlCharacters(cell).length)))
      .join('  ')
      .trimEnd();
  return [paint(line(header), 'dim'), ...rows.map(line)].join('\n');
}

/** A key: value block for one resource. */
export function details(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${paint(`${k}:`.padEnd(width + 1), 'dim')} ${v}`).join('\n');
}

/** ISO timestamps to the minute, in UTC, for tables. */
export function when(iso: string | null | undefined): string {
  return iso ? `${iso.slice(0, 16).replace('T', ' ')}Z` : 'never';
}
