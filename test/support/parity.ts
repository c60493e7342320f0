// Compares retoken with the Hugging Face `tokenizers` binding (the oracle) on a list of texts.
import tk from "tokenizers";
import type { Tokenizer } from "../../src/index.js";

export interface Mismatch {
  text: string;
  what: "ids" | "tokens" | "offsets" | "decode" | "decode-skip" | "pair";
  expected: string;
  actual: string;
}

export interface ParityResult {
  texts: number;
  mismatches: number;
  first: Mismatch | null;
}

const show = (x: unknown) => JSON.stringify(x);

/** Encodes every text with both (with special tokens unless told otherwise), compares ids, tokens, code-point offsets and decoded text. */
export async function compareWithOracle(ours: Tokenizer, oracle: tk.Tokenizer, texts: string[], options: { pairs?: boolean; addSpecialTokens?: boolean } = {}): Promise<ParityResult> {
  const addSpecialTokens = options.addSpecialTokens ?? true;
  let mismatches = 0;
  let first: Mismatch | null = null;
  const fail = (m: Mismatch) => {
    mismatches++;
    first ??= m;
  };
  for (const text of texts) {
    const ref = await oracle.encode(text, null, { addSpecialTokens });
    const enc = ours.encode(text, { addSpecialTokens });
    const ids = ref.getIds();
    if (show(ids) !== show(enc.ids)) {
      fail({ text, what: "ids", expected: show(ids), actual: show(enc.ids) });
      continue;
    }
    if (show(ref.getTokens()) !== show(enc.tokens)) fail({ text, what: "tokens", expected: show(ref.getTokens()), actual: show(enc.tokens) });
    else if (show(ref.getOffsets()) !== show(enc.codePointOffsets)) fail({ text, what: "offsets", expected: show(ref.getOffsets()), actual: show(enc.codePointOffsets) });
    else {
      const d = await oracle.decode(ids, false);
      const ourD = ours.decode(ids, { skipSpecialTokens: false });
      if (d !== ourD) fail({ text, what: "decode", expected: show(d), actual: show(ourD) });
      else {
        const ds = await oracle.decode(ids, true);
        const ourDs = ours.decode(ids, { skipSpecialTokens: true });
        if (ds !== ourDs) fail({ text, what: "decode-skip", expected: show(ds), actual: show(ourDs) });
      }
    }
  }
  if (options.pairs) {
    for (let i = 0; i + 1 < texts.length; i += 7) {
      const ref = await oracle.encode(texts[i]!, texts[i + 1]!, { addSpecialTokens: true });
      const enc = ours.encode(texts[i]!, { addSpecialTokens: true, pair: texts[i + 1]! });
      const a = show([ref.getIds(), ref.getTypeIds(), ref.getSpecialTokensMask(), ref.getOffsets()]);
      const b = show([enc.ids, enc.typeIds, enc.specialTokensMask, enc.codePointOffsets]);
      if (a !== b) fail({ text: `${texts[i]} ‖ ${texts[i + 1]}`, what: "pair", expected: a, actual: b });
    }
  }
  return { texts: texts.length, mismatches, first };
}

export function describeMismatch(m: Mismatch | null): string {
  if (!m) return "";
  return `${m.what} differ for ${show(m.text.slice(0, 80))}${m.text.length > 80 ? "…" : ""}\n  oracle: ${m.expected.slice(0, 400)}\n  retoken: ${m.actual.slice(0, 400)}`;
}
