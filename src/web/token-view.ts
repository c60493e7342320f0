// What the playground shows for a token: its bytes in running text, spelled so that whitespace is visible and a
// partial UTF-8 sequence shows as its bytes (⟨E6 97⟩), never as U+FFFD. Pure functions over the tokenizer core, so
// Node tests check exactly what the page draws.
import type { Tokenizer } from "../tokenize/tokenizer.js";
import { canonicalToken, type TokenSpelling } from "../tokenize/byte-vocabulary.js";

export interface TokenFace {
  /** What the token box shows. */
  label: string;
  /** The bytes the token stands for in text (a special token: its own spelling). */
  bytes: Uint8Array;
  /** Some bytes do not form a whole character on their own. */
  partial: boolean;
  special: boolean;
}

const VISIBLE: Record<string, string> = { " ": "·", "\t": "→", "\n": "↵\n", "\r": "␍", "\u00a0": "⍽", "\u3000": "□" };
const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, "0");

/** Length of the UTF-8 sequence that starts with `lead` (0: not a lead byte). */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Bytes as text with whitespace made visible; every byte that is not part of a whole character on its own is shown
 * as hex inside ⟨ ⟩ (runs of them share one pair of brackets).
 */
export function visibleBytes(bytes: Uint8Array): { label: string; partial: boolean } {
  let label = "";
  let partial = false;
  let run: string[] = [];
  const flush = () => {
    if (run.length) label += `⟨${run.join(" ")}⟩`;
    run = [];
  };
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes[i]!);
    let char: string | null = null;
    if (n > 0 && i + n <= bytes.length) {
      try {
        char = decoder.decode(bytes.subarray(i, i + n));
      } catch {
        char = null;
      }
    }
    if (char === null) {
      run.push(hex(bytes[i]!));
      partial = true;
      i++;
      continue;
    }
    flush();
    const cp = char.codePointAt(0)!;
    label += VISIBLE[char] ?? (cp < 0x20 || cp === 0x7f ? `⟨${hex(cp)}⟩` : char);
    i += n;
  }
  flush();
  return { label, partial };
}

/** Faces of a tokenizer's ids, made once per id (a keystroke re-renders only ids it has not met). */
export class TokenFaces {
  private readonly faces = new Map<number, TokenFace>();
  private readonly spelling: TokenSpelling;
  private readonly specials: Set<string>;

  constructor(private readonly tokenizer: Tokenizer) {
    this.spelling = tokenizer.spelling();
    this.specials = new Set(tokenizer.addedTokens.filter((t) => t.special).map((t) => t.content));
  }

  face(id: number): TokenFace {
    let f = this.faces.get(id);
    if (!f) {
      const token = this.tokenizer.idToToken(id) ?? `<id ${id}>`;
      const special = this.specials.has(token);
      const { bytes } = canonicalToken(token, this.spelling, special);
      f = special ? { label: token, bytes, partial: false, special } : { ...visibleBytes(bytes), bytes, special };
      this.faces.set(id, f);
    }
    return f;
  }
}

/** The first and last index where two id lists differ: [same prefix length, same suffix length]. */
export function changedRange(before: ArrayLike<number>, after: ArrayLike<number>): [number, number] {
  const max = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < max && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  return [prefix, suffix];
}

/** A stable colour per id (the same token always looks the same, as gpt-tokenizer's playground does). */
export function tokenHue(id: number): number {
  return (id * 47) % 360;
}
