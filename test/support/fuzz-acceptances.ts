// Damaged files that retoken loads although the reference refuses them, each with the reason it is accepted
// (docs/hardening.md explains them). The file fuzzer (file-fuzz.ts) counts a load that the reference refuses as a
// failure unless one of these matches its mutation and the reference's error.
export interface DocumentedAcceptance {
  id: string;
  format: "tokenizer.json" | "tiktoken" | "model" | "safetensors";
  /** Why retoken loads it. */
  why: string;
  /** `damaged`: the damaged file's bytes, for acceptances that must look at what the damage did. */
  matches(mutation: string, referenceError: string, damaged: Uint8Array): boolean;
}

/** Rank-file lines whose base64 token carries non-zero padding bits ("IHJlYW==" for " rea", canonically "IHJlYQ=="). */
function nonCanonicalBase64Lines(damaged: Uint8Array): number {
  let n = 0;
  for (const line of Buffer.from(damaged).toString("latin1").split("\n")) {
    const token = line.split(" ")[0]!;
    if (/^[A-Za-z0-9+/]+={0,2}$/.test(token) && token.length % 4 === 0 && Buffer.from(token, "base64").toString("base64") !== token) n++;
  }
  return n;
}

export const DOCUMENTED_ACCEPTANCES: DocumentedAcceptance[] = [
  {
    id: "missing-field-default",
    format: "tokenizer.json",
    why: "a field HF's reader requires is absent: retoken takes the value HF's own constructors default to (added tokens: single_word, lstrip, rstrip false, normalized = !special, special false; ByteLevel trim_offsets, Split invert …), as older and hand-written files omit them",
    matches: (mutation, error) => {
      const key = /^delete (?:.*\.)?([^.]+)$/.exec(mutation)?.[1];
      return key !== undefined && error.includes(`missing field \`${key}\``);
    },
  },
  {
    id: "blank-rank-line",
    format: "tiktoken",
    why: "a blank line in a rank file is skipped, as tiktoken's Python loader (load_tiktoken_bpe reads `if line`) skips it; the wasm binding's constructor panics on it",
    matches: (mutation, error) => mutation.startsWith("blank line") && /unreachable/.test(error),
  },
  {
    id: "base64-padding-bits",
    format: "tiktoken",
    why: "a rank token whose base64 has non-zero padding bits (a bit flip in its last character) is decoded as tiktoken's Python loader decodes it (base64.b64decode ignores those bits); the wasm binding's strict decoder panics on it",
    matches: (mutation, error, damaged) => mutation.startsWith("bit flips") && /unreachable/.test(error) && nonCanonicalBase64Lines(damaged) > 0,
  },
  {
    id: "spm-char-control-piece",
    format: "model",
    why: "a character piece of a CHAR model retyped as a control piece makes spm_encode abort (\"all normalized characters are not consumed\"), an internal check of its own; retoken encodes that character as unknown, as spm does for every other model type",
    matches: (mutation, error) => /\.type = 3$/.test(mutation) && error.includes("all normalized characters are not consumed"),
  },
];