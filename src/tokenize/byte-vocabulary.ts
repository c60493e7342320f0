// Tokens as the bytes they stand for in running text, whatever the tokenizer's spelling of them: GPT-2's byte
// alphabet ("Ġx"), SentencePiece's "▁x" and "<0xNN>" byte-fallback pieces, WordPiece's "##x" continuations.
// Comparing vocabularies, auditing them and transferring embeddings all need this one canonical form.

import type { Json, JsonObject } from "./types.js";

/** How a tokenizer spells the bytes of its tokens. */
export interface TokenSpelling {
  /** Tokens are GPT-2 byte-alphabet strings (ByteLevel pre-tokenizer or decoder). */
  byteLevel: boolean;
  /** The character that stands for a space (SentencePiece "▁"), if any. */
  spaceMarker: string | null;
  /** `<0xNN>` pieces are single bytes. */
  byteFallback: boolean;
  /** The prefix that marks a word-internal piece (WordPiece "##"), if any. */
  continuationPrefix: string | null;
}

/** A token's canonical form: its bytes in text, and whether it can only continue a word. */
export interface CanonicalToken {
  bytes: Uint8Array;
  /** True for WordPiece "##x" pieces: they never start a word. */
  continuation: boolean;
  /** True for special/added control tokens that do not stand for text. */
  special: boolean;
}

let byteDecoder: Int16Array | null = null;

/** GPT-2's byte ↔ printable-character alphabet: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards. */
export function byteLevelAlphabet(): string[] {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
}

/** Byte of each character of the alphabet (all below U+0144), −1 elsewhere: a typed-array lookup per character
 * (characters from U+0144 on are in no token's byte form). */
function byteLevelDecoder(): Int16Array {
  if (!byteDecoder) {
    byteDecoder = new Int16Array(0x144).fill(-1);
    byteLevelAlphabet().forEach((c, b) => (byteDecoder![c.charCodeAt(0)] = b));
  }
  return byteDecoder;
}

/** Writes the bytes a GPT-2 byte-alphabet string stands for into out[0, token.length) (out long enough); false when a
 * character is outside the alphabet (then out holds only part of it). */
export function byteLevelBytesInto(token: string, out: Uint8Array): boolean {
  const dec = byteLevelDecoder();
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < dec.length ? dec[c]! : -1;
    if (b < 0) return false;
    out[i] = b;
  }
  return true;
}

function typesIn(json: Json | undefined, out: Set<string> = new Set()): Set<string> {
  if (json && typeof json === "object" && !Array.isArray(json)) {
    if (typeof json.type === "string") out.add(json.type);
    for (const v of Object.values(json)) typesIn(v, out);
  } else if (Array.isArray(json)) {
    for (const v of json) typesIn(v, out);
  }
  return out;
}

function findMetaspaceReplacement(json: Json | undefined): string | null {
  if (json && typeof json === "object" && !Array.isArray(json)) {
    if (json.type === "Metaspace" && typeof json.replacement === "string") return json.replacement;
    if (json.type === "Replace" && typeof json.content === "string" && json.content === "▁") return "▁";
    for (const v of Object.values(json)) {
      const r = findMetaspaceReplacement(v);
      if (r) return r;
    }
  } else if (Array.isArray(json)) {
    for (const v of json) {
      const r = findMetaspaceReplacement(v);
      if (r) return r;
    }
  }
  return null;
}

/** Reads how a tokenizer spells its tokens from its tokenizer.json. */
export function tokenSpelling(tokenizerJson: JsonObject): TokenSpelling {
  const stages = typesIn([tokenizerJson.pre_tokenizer ?? null, tokenizerJson.decoder ?? null, tokenizerJson.normalizer ?? null]);
  const model = (tokenizerJson.model ?? {}) as JsonObject;
  const byteLevel = stages.has("ByteLevel");
  const spaceMarker = byteLevel ? null : findMetaspaceReplacement([tokenizerJson.pre_tokenizer ?? null, tokenizerJson.normalizer ?? null, tokenizerJson.decoder ?? null]);
  const byteFallback = model.byte_fallback === true || stages.has("ByteFallback");
  let continuationPrefix: string | null = null;
  if (model.type === "WordPiece") continuationPrefix = typeof model.continuing_subword_prefix === "string" ? model.continuing_subword_prefix : "##";
  return { byteLevel, spaceMarker, byteFallback, continuationPrefix };
}

const utf8 = new TextEncoder();
const BYTE_PIECE = /^<0x([0-9A-Fa-f]{2})>$/;

/** Whether a token string is a byte-fallback piece ("<0x2C>"). */
export function isByteFallbackPiece(token: string): boolean {
  return BYTE_PIECE.test(token);
}

/** The canonical form of one token string under a spelling. */
export function canonicalToken(token: string, spelling: TokenSpelling, special = false): CanonicalToken {
  if (special) return { bytes: utf8.encode(token), continuation: false, special: true };
  if (spelling.byteLevel) {
    const bytes = new Uint8Array(token.length);
    const ok = byteLevelBytesInto(token, bytes);
    // A byte-level vocabulary can hold a token outside the alphabet (an added token): keep its UTF-8.
    return { bytes: ok ? bytes : utf8.encode(token), continuation: false, special: false };
  }
  if (spelling.byteFallback) {
    const m = BYTE_PIECE.exec(token);
    if (m) return { bytes: Uint8Array.of(parseInt(m[1]!, 16)), continuation: false, special: false };
  }
  let text = token;
  let continuation = false;
  if (spelling.continuationPrefix !== null) {
    if (text.startsWith(spelling.continuationPrefix) && text.length > spelling.continuationPrefix.length) {
      text = text.slice(spelling.continuationPrefix.length);
      continuation = true;
    } else {
      // A WordPiece word-initial piece follows a space in running text.
      text = " " + text;
    }
  }
  if (spelling.spaceMarker) text = text.split(spelling.spaceMarker).join(" ");
  return { bytes: utf8.encode(text), continuation, special: false };
}

/** A key that is equal for two tokens exactly when they stand for the same bytes in running text (a WordPiece "##x"
 * continuation matches a byte-level "x", which also only follows other characters; specials match only specials). */
export function canonicalKey(t: CanonicalToken): string {
  let s = t.special ? "S:" : "B:";
  for (const b of t.bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Whether the bytes are complete, valid UTF-8 on their own. */
export function isCompleteUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
