// JSON.parse keeps the last of two equal keys without a word; formats whose reference refuses duplicates (safetensors
// headers: a repeated tensor name could alias or smuggle bytes) scan the text for them. Browser-safe.

export interface DuplicateKey {
  /** Keys and array indices from the top level down to the object holding the repeated key. */
  path: string[];
  key: string;
}

interface Frame {
  /** Keys seen so far (objects); null for arrays. */
  keys: Set<string> | null;
  /** The key or index under which this container sits in its parent. */
  name: string;
  parent: Frame | null;
  lastKey: string;
  index: number;
  expectKey: boolean;
}

function pathOf(frame: Frame): string[] {
  const path: string[] = [];
  for (let f: Frame | null = frame; f && f.parent; f = f.parent) path.push(f.name);
  return path.reverse();
}

/** The first key that appears twice in one object of `text` (JSON that JSON.parse accepted), or null. One linear pass,
 * no recursion, so deep nesting and 100 MB headers are fine. */
export function findDuplicateKey(text: string): DuplicateKey | null {
  let top: Frame | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let j = i + 1;
      while (j < text.length && text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (top && top.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { path: pathOf(top), key };
        top.keys.add(key);
        top.lastKey = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      const name: string = top ? (top.keys ? top.lastKey : String(top.index)) : "";
      top = { keys: c === 0x7b ? new Set() : null, name, parent: top, lastKey: "", index: 0, expectKey: c === 0x7b };
    } else if (c === 0x7d || c === 0x5d) {
      top = top ? top.parent : null;
    } else if (c === 0x2c && top) {
      if (top.keys) top.expectKey = true;
      else top.index++;
    }
  }
  return null;
}
