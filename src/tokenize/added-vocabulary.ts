// Added tokens (tokenizer.json "added_tokens"): strings cut out of the text before the model sees it. Matching is
// leftmost-longest over a character trie (one scan for all tokens), as HF's Aho-Corasick with LeftmostLongest.
// Tokens with normalized:false are matched on the raw text before normalization; normalized:true ones on the
// normalized pieces (their content normalized the same way).

import { NormalizedString, isWhitespace } from "./normalized.js";
import type { PreTokenizedString } from "./pretokenized.js";
import { TokenizerError, type Json, type JsonObject, type Model, type Normalizer, type Token } from "./types.js";
import { MAX_ID, nonNegativeInt } from "./json-fields.js";

export interface AddedToken {
  id: number;
  content: string;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
  /** Keeps its id but is never cut out of input text (retoken's `unmatched` field, which HF ignores): spm_encode reads
   * its control pieces typed in text ("<s>") as plain text. */
  unmatched?: boolean;
}

export function addedTokenFromJSON(json: Json, path: string): AddedToken {
  if (!json || typeof json !== "object" || Array.isArray(json)) throw new TokenizerError("expected an object", path);
  const id = nonNegativeInt(json.id, `${path}.id`, MAX_ID);
  const content = json.content;
  if (typeof content !== "string" || content.length === 0) throw new TokenizerError(`expected a non-empty string, got ${JSON.stringify(content)}`, `${path}.content`);
  const flag = (k: string, d: boolean): boolean => {
    const v = json[k];
    if (v === undefined) return d;
    if (typeof v !== "boolean") throw new TokenizerError(`expected true or false, got ${JSON.stringify(v)}`, `${path}.${k}`);
    return v;
  };
  const special = flag("special", false);
  const token: AddedToken = { id, content, singleWord: flag("single_word", false), lstrip: flag("lstrip", false), rstrip: flag("rstrip", false), normalized: flag("normalized", !special), special };
  if (flag("unmatched", false)) token.unmatched = true;
  return token;
}

export function addedTokenToJSON(t: AddedToken): JsonObject {
  const json: JsonObject = { id: t.id, content: t.content, single_word: t.singleWord, lstrip: t.lstrip, rstrip: t.rstrip, normalized: t.normalized, special: t.special };
  if (t.unmatched) json.unmatched = true;
  return json;
}

interface TrieNode {
  next: Map<number, TrieNode>;
  /** Index of the token ending here, or -1. */
  token: number;
}

/** A character trie over token strings with a leftmost-longest scan. */
class TokenTrie {
  private readonly root: TrieNode = { next: new Map(), token: -1 };
  /** 1 for each UTF-16 unit that starts a token: the scan skips other characters with one array read. */
  private readonly first = new Uint8Array(65536);
  /** The unit every token starts with, when they all start with one ("<" of <|endoftext|>, <s>, </s>: most files);
   * else null. The scan then jumps to its next occurrence by indexOf, which V8 runs natively. */
  private onlyFirst: string | null = null;
  private firstUnits = 0;
  size = 0;

  add(s: string, token: number): void {
    if (s.length === 0) return;
    let node = this.root;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let n = node.next.get(c);
      if (!n) {
        n = { next: new Map(), token: -1 };
        node.next.set(c, n);
      }
      node = n;
    }
    if (node.token < 0) this.size++;
    if (node.token < 0) node.token = token;
    if (this.first[s.charCodeAt(0)] === 0) {
      this.first[s.charCodeAt(0)] = 1;
      this.onlyFirst = ++this.firstUnits === 1 ? s[0]! : null;
    }
  }

  /** The longest token starting at `i`: [token, end] or null. */
  longestAt(s: string, i: number): [number, number] | null {
    let node: TrieNode | undefined = this.root;
    let best: [number, number] | null = null;
    for (let j = i; j < s.length; j++) {
      node = node.next.get(s.charCodeAt(j));
      if (!node) break;
      if (node.token >= 0) best = [node.token, j + 1];
    }
    return best;
  }

  /** Leftmost-longest non-overlapping matches: [token, start, end] triples. */
  findAll(s: string): number[] {
    const out: number[] = [];
    if (this.size === 0) return out;
    const first = this.first;
    const only = this.onlyFirst;
    for (let i = 0; i < s.length; ) {
      if (first[s.charCodeAt(i)] === 0) {
        if (only === null) {
          i++;
          continue;
        }
        i = s.indexOf(only, i);
        if (i < 0) break;
      }
      const m = this.longestAt(s, i);
      if (m) {
        out.push(m[0], i, m[1]);
        i = m[1];
      } else i++;
    }
    return out;
  }
}

// single_word boundaries use Rust's regex \w (checked against the oracle: marks count, ½ does not).
const WORD = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && WORD.test(ch);
}

export class AddedVocabulary {
  readonly tokens: AddedToken[];
  private readonly byId = new Map<number, AddedToken>();
  private readonly byContent = new Map<string, AddedToken>();
  /** What id_to_token gives: the content, normalized for normalized tokens (as HF stores them). */
  private readonly surface = new Map<number, string>();
  private readonly specialContents = new Set<string>();
  private readonly rawTrie = new TokenTrie();
  private readonly normTrie = new TokenTrie();

  /** `model` decides the ids as HF does: a token the model knows gets the model's id (whatever the JSON says);
   * another gets the next id after the model's vocabulary and the added ids so far. */
  constructor(tokens: AddedToken[], normalizer: Normalizer | null, model?: Pick<Model, "tokenToId" | "vocabSize">, notInText: ReadonlySet<string> = new Set()) {
    if (model) tokens = assignIds(tokens, model);
    this.tokens = tokens;
    tokens.forEach((t, i) => {
      this.byId.set(t.id, t);
      if (!this.byContent.has(t.content)) this.byContent.set(t.content, t);
      if (t.special) this.specialContents.add(t.content);
      // Unmatched tokens (and those in `notInText`) keep their ids but are never cut out of input text.
      if (t.unmatched || notInText.has(t.content)) {
        this.surface.set(t.id, t.content);
        return;
      }
      if (t.normalized) {
        const n = new NormalizedString(t.content);
        normalizer?.normalize(n);
        this.normTrie.add(n.normalized, i);
        this.surface.set(t.id, n.normalized);
      } else {
        this.rawTrie.add(t.content, i);
        this.surface.set(t.id, t.content);
      }
    });
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The token string of an added id: matches HF, where a normalized token reads back normalized ("▁<s>" for
   * Mistral's "<s>"). */
  idToToken(id: number): string | undefined {
    return this.surface.get(id);
  }

  /** Whether a token string is the content of a special added token (HF's is_special_token: by string, so the
   * normalized form of a normalized special token is not special). */
  isSpecialToken(token: string): boolean {
    return this.specialContents.has(token);
  }

  tokenToId(token: string): number | undefined {
    return this.byContent.get(token)?.id;
  }

  isSpecialId(id: number): boolean {
    return this.byId.get(id)?.special ?? false;
  }

  get(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  /** Whether any token needs matching at all. */
  get hasMatchers(): boolean {
    return this.rawTrie.size + this.normTrie.size > 0;
  }

  /** HF's find_matches: added-token spans with single_word / lstrip / rstrip applied. Returns
   * [tokenIndex or -1, start, end] triples covering the whole string. */
  private matches(s: string, trie: TokenTrie): number[] {
    const found = trie.findAll(s);
    const out: number[] = [];
    let startOffset = 0;
    for (let k = 0; k < found.length; k += 3) {
      const idx = found[k]!;
      let start = found[k + 1]!;
      let stop = found[k + 2]!;
      if (start < startOffset) continue;
      const t = this.tokens[idx]!;
      if (t.singleWord) {
        const before = start === 0 ? undefined : lastChar(s, start);
        const after = stop === s.length ? undefined : String.fromCodePoint(s.codePointAt(stop)!);
        if (isWordChar(before) || isWordChar(after)) continue;
      }
      if (t.lstrip) {
        let ns = start;
        while (ns > 0 && isWhitespace(s.charCodeAt(ns - 1))) ns--;
        start = Math.max(ns, startOffset);
      }
      if (t.rstrip) while (stop < s.length && isWhitespace(s.charCodeAt(stop))) stop++;
      if (startOffset < start) out.push(-1, startOffset, start);
      out.push(idx, start, stop);
      startOffset = stop;
    }
    if (startOffset < s.length) out.push(-1, startOffset, s.length);
    return out;
  }

  private splitWith(n: NormalizedString, trie: TokenTrie): [NormalizedString, Token[] | null][] {
    if (trie.size === 0) return [[n, null]];
    const m = this.matches(n.normalized, trie);
    if (m.length === 3 && m[0] === -1) return [[n, null]];
    const out: [NormalizedString, Token[] | null][] = [];
    for (let k = 0; k < m.length; k += 3) {
      const slice = n.slice(m[k + 1]!, m[k + 2]!);
      if (m[k]! < 0) out.push([slice, null]);
      else out.push([slice, [{ id: this.tokens[m[k]!]!.id, value: slice.normalized, start: 0, end: slice.length }]]);
    }
    return out;
  }

  /** Cuts out the added tokens and normalizes the rest (HF's extract_and_normalize). */
  extractAndNormalize(p: PreTokenizedString, normalizer: Normalizer | null): void {
    p.split((_, n) => this.splitWith(n, this.rawTrie));
    p.split((_, n) => {
      normalizer?.normalize(n);
      return this.splitWith(n, this.normTrie);
    });
  }

  /** Fast path: the raw text split into plain pieces and added-token ids (for ids only). `pieces[i]` is null where
   * `ids[i]` is an added token. Normalization of the plain pieces is left to the caller, then the normalized
   * tokens are matched with splitNormalizedText. */
  splitRawText(text: string, pieces: (string | null)[], ids: number[], starts: number[], ends?: number[]): void {
    this.splitText(text, this.rawTrie, pieces, ids, starts, 0, ends);
  }

  splitNormalizedText(text: string, pieces: (string | null)[], ids: number[], starts: number[], base: number, ends?: number[]): void {
    this.splitText(text, this.normTrie, pieces, ids, starts, base, ends);
  }

  private splitText(text: string, trie: TokenTrie, pieces: (string | null)[], ids: number[], starts: number[], base: number, ends?: number[]): void {
    if (trie.size === 0) {
      if (text.length > 0) {
        pieces.push(text);
        ids.push(-1);
        starts.push(base);
        ends?.push(base + text.length);
      }
      return;
    }
    const m = this.matches(text, trie);
    for (let k = 0; k < m.length; k += 3) {
      if (m[k + 2]! <= m[k + 1]!) continue;
      if (m[k]! < 0) {
        pieces.push(text.slice(m[k + 1], m[k + 2]));
        ids.push(-1);
      } else {
        pieces.push(null);
        ids.push(this.tokens[m[k]!]!.id);
      }
      starts.push(base + m[k + 1]!);
      ends?.push(base + m[k + 2]!);
    }
  }
}

/** HF's AddedVocabulary::add_tokens id assignment; exact duplicates are dropped. */
function assignIds(tokens: AddedToken[], model: Pick<Model, "tokenToId" | "vocabSize">): AddedToken[] {
  const byContent = new Map<string, number>();
  const out: AddedToken[] = [];
  const seen = new Set<string>();
  let max = -1;
  const size = model.vocabSize;
  for (const t of tokens) {
    const key = JSON.stringify([t.content, t.singleWord, t.lstrip, t.rstrip, t.normalized, t.special]);
    if (seen.has(key)) continue;
    seen.add(key);
    let id = byContent.get(t.content) ?? model.tokenToId(t.content);
    if (id === undefined) id = max < 0 ? size : max >= size || size === 0 ? max + 1 : size;
    byContent.set(t.content, id);
    max = Math.max(max, id);
    out.push(id === t.id ? t : { ...t, id });
  }
  return out;
}

function lastChar(s: string, end: number): string {
  const c = s.charCodeAt(end - 1);
  if (c >= 0xdc00 && c <= 0xdfff && end >= 2) {
    const h = s.charCodeAt(end - 2);
    if (h >= 0xd800 && h <= 0xdbff) return s.slice(end - 2, end);
  }
  return s[end - 1]!;
}
