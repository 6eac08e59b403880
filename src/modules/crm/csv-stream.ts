import type { Readable } from 'node:stream';

/**
 * Splits a CSV byte stream into line-aligned text chunks of about `size` characters without
 * ever holding more than one chunk: a cut is made only at a newline outside quotes, so each
 * chunk parses on its own. Reports the file line number each chunk starts at.
 */
export async function* csvChunks(
  stream: Readable,
  // One chunk is one import transaction: 1 MiB (about 10,000 member rows) keeps a million-row
  // file to about a hundred commits, each rewriting the index pages the one before left half full.
  size = 1024 * 1024,
): AsyncGenerator<{ text: string; firstLine: number; bytes: number }> {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let quoted = false;
  let scanned = 0;
  let lastCut = -1;
  let line = 1;
  let linesInBuffer = 0;
  let linesToCut = 0;
  let first = true;
  const take = (end: number) => {
    const text = buffer.slice(0, end);
    buffer = buffer.slice(end);
    scanned -= end;
    lastCut = -1;
    const out = { text, firstLine: line, bytes: Buffer.byteLength(text) };
    line += linesToCut;
    linesInBuffer -= linesToCut;
    linesToCut = 0;
    return out;
  };
  for await (const piece of stream) {
    buffer += decoder.decode(piece as Buffer, { stream: true });
    if (first && buffer.charCodeAt(0) === 0xfeff) buffer = buffer.slice(1);
    first = false;
    for (; scanned < buffer.length; scanned++) {
      const char = buffer[scanned];
      if (char === '"') quoted = !quoted;
      else if (char === '\n') {
        // Every newline counts for line numbers; only one outside quotes may end a chunk.
        linesInBuffer += 1;
        if (!quoted) {
          lastCut = scanned + 1;
          linesToCut = linesInBuffer;
        }
      }
    }
    if (buffer.length >= size && lastCut > 0) yield take(lastCut);
  }
  buffer += decoder.decode();
  if (buffer.trim() !== '') {
    linesToCut = linesInBuffer + 1;
    yield take(buffer.length);
  }
}

/** Parses RFC 4180 text into records with the file line each starts on; blank lines are skipped. */
export function parseCsvLines(text: string, firstLine: number): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = firstLine;
  let start = firstLine;
  const end = () => {
    fields.push(field);
    if (fields.some((f) => f.trim() !== '')) records.push({ line: start, fields });
    fields = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else {
        if (char === '\n') line++;
        field += char;
      }
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      fields.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      end();
      line++;
      start = line;
    } else field += char;
  }
  if (field !== '' || fields.length > 0) end();
  return records;
}

/** One CSV field, quoted when it must be (and when it could be read as a formula by a spreadsheet). */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
