// File access is injected: the browser entry has none, the Node entry (src/index.ts) installs a reader. This keeps
// every `node:` import out of the tokenizer core.

export type FileReader = (path: string) => Promise<Uint8Array>;

let reader: FileReader | null = null;

/** Installs the function that reads files (done by the Node entry point). */
export function setFileReader(fn: FileReader | null): void {
  reader = fn;
}

export async function readFileBytes(path: string): Promise<Uint8Array> {
  if (!reader) {
    throw new Error(
      `cannot read ${JSON.stringify(path)}: no file access in this environment (in a browser, fetch the file and use Tokenizer.fromBytes or Tokenizer.fromJSON)`,
    );
  }
  return reader(path);
}
