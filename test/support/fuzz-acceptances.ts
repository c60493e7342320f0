// Damaged files that retoken loads although the reference refuses them, each with the reason it is accepted
// (docs/hardening.md explains them). The file fuzzer (file-fuzz.ts) counts a load that the reference refuses as a
// failure unless one of these matches its mutation and the reference's error.
export interface DocumentedAcceptance {
  id: string;
  format: "tokenizer.json" | "tiktoken" | "model" | "safetensors";
  /** Why retoken loads it. */
  why: string;
  matches(mutation: string, referenceError: string): boolean;
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
    id: "spm-char-control-piece",
    format: "model",
    why: "a character piece of a CHAR model retyped as a control piece makes spm_encode abort (\"all normalized characters are not consumed\"), an internal check of its own; retoken encodes that character as unknown, as spm does for every other model type",
    matches: (mutation, error) => /\.type = 3$/.test(mutation) && error.includes("all normalized characters are not consumed"),
  },
];