// TemplateProcessing: "[CLS]:0 $A:0 [SEP]:0" style templates for single sequences and pairs.

import { Encoding } from "../encoding.js";
import { clearSequenceRanges, cloneEncoding, setSequenceId } from "../encoding-ops.js";
import { TokenizerError, type Json, type JsonObject } from "../types.js";
import { BasePostProcessor, uint } from "./base.js";

export type TemplatePiece =
  | { kind: "Sequence"; id: "A" | "B"; typeId: number }
  | { kind: "SpecialToken"; id: string; typeId: number };

export interface TemplateSpecialToken {
  id: string;
  ids: number[];
  tokens: string[];
}

/** Parses one piece of the string shorthand: "$A", "$B:1", "$1" (sequence A, type 1), "[CLS]", "[SEP]:1". */
export function parseTemplatePiece(s: string, path: string): TemplatePiece {
  const parts = s.split(":");
  const bad = (): TokenizerError => new TokenizerError(`cannot read template piece "${s}" (expected $A, $B, $A:1, [CLS]:0 ...)`, path);
  if (parts.length > 2) throw bad();
  let typeId = 0;
  if (parts.length === 2) {
    if (!/^\d+$/.test(parts[1]!)) throw bad();
    typeId = Number(parts[1]);
  }
  const id = parts[0]!;
  if (id.startsWith("$")) {
    const rest = id.slice(1);
    if (rest === "" || rest === "A" || rest === "a") return { kind: "Sequence", id: "A", typeId };
    if (rest === "B" || rest === "b") return { kind: "Sequence", id: "B", typeId };
    // Matches HF: "$1" means sequence A with type id 1 (and a later ":n" overrides it).
    if (/^\d+$/.test(rest)) return { kind: "Sequence", id: "A", typeId: parts.length === 2 ? typeId : Number(rest) };
    throw bad();
  }
  return { kind: "SpecialToken", id, typeId };
}

function parseTemplate(json: Json | undefined, path: string): TemplatePiece[] {
  if (typeof json === "string") return json.split(" ").filter((x) => x !== "").map((p, i) => parseTemplatePiece(p, `${path}[${i}]`));
  if (!Array.isArray(json)) throw new TokenizerError(`expected a template (list of pieces or a string), got ${JSON.stringify(json)}`, path);
  return json.map((p, i) => {
    const at = `${path}[${i}]`;
    if (typeof p === "string") return parseTemplatePiece(p, at);
    if (!p || typeof p !== "object" || Array.isArray(p)) throw new TokenizerError("expected {\"Sequence\": …} or {\"SpecialToken\": …}", at);
    if (p.Sequence && typeof p.Sequence === "object" && !Array.isArray(p.Sequence)) {
      const id = p.Sequence.id;
      if (id !== "A" && id !== "B") throw new TokenizerError(`expected "A" or "B", got ${JSON.stringify(id)}`, `${at}.Sequence.id`);
      return { kind: "Sequence", id, typeId: uint(p.Sequence.type_id ?? 0, `${at}.Sequence.type_id`) };
    }
    if (p.SpecialToken && typeof p.SpecialToken === "object" && !Array.isArray(p.SpecialToken)) {
      const id = p.SpecialToken.id;
      if (typeof id !== "string") throw new TokenizerError("expected a string", `${at}.SpecialToken.id`);
      return { kind: "SpecialToken", id, typeId: uint(p.SpecialToken.type_id ?? 0, `${at}.SpecialToken.type_id`) };
    }
    throw new TokenizerError(`expected {"Sequence": …} or {"SpecialToken": …}, got ${JSON.stringify(p)}`, at);
  });
}

function parseSpecialTokens(json: Json | undefined, path: string): Map<string, TemplateSpecialToken> {
  const out = new Map<string, TemplateSpecialToken>();
  if (json === undefined || json === null) return out;
  const add = (t: Json, at: string): void => {
    if (Array.isArray(t) && t.length === 2 && typeof t[0] === "string") {
      // The [token, id] shorthand.
      out.set(t[0], { id: t[0], ids: [uint(t[1], `${at}[1]`)], tokens: [t[0]] });
      return;
    }
    if (!t || typeof t !== "object" || Array.isArray(t) || typeof t.id !== "string" || !Array.isArray(t.ids) || !Array.isArray(t.tokens)) {
      throw new TokenizerError("expected {\"id\": string, \"ids\": [...], \"tokens\": [...]}", at);
    }
    const ids = t.ids.map((x, j) => uint(x, `${at}.ids[${j}]`));
    const tokens = t.tokens.map((x, j) => {
      if (typeof x !== "string") throw new TokenizerError("expected a string", `${at}.tokens[${j}]`);
      return x;
    });
    if (ids.length !== tokens.length) throw new TokenizerError(`ids (${ids.length}) and tokens (${tokens.length}) differ in length`, at);
    out.set(t.id, { id: t.id, ids, tokens });
  };
  if (Array.isArray(json)) json.forEach((t, i) => add(t, `${path}[${i}]`));
  else if (typeof json === "object") for (const [k, t] of Object.entries(json)) add(t, `${path}.${k}`);
  else throw new TokenizerError("expected an object of special tokens", path);
  return out;
}

export class TemplateProcessing extends BasePostProcessor {
  readonly type = "TemplateProcessing";
  private readonly addedSingle: number;
  private readonly addedPair: number;

  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, TemplateSpecialToken>,
    path = "TemplateProcessing",
  ) {
    super();
    const missing = [...single, ...pair].filter((p) => p.kind === "SpecialToken" && !specialTokens.has(p.id)).map((p) => p.id);
    if (missing.length) throw new TokenizerError(`special token(s) ${[...new Set(missing)].map((m) => JSON.stringify(m)).join(", ")} used in a template but missing from special_tokens`, path);
    const hasA = pair.some((p) => p.kind === "Sequence" && p.id === "A");
    const hasB = pair.some((p) => p.kind === "Sequence" && p.id === "B");
    if (!hasA || !hasB) throw new TokenizerError("the pair template must contain both $A and $B", `${path}.pair`);
    const count = (t: TemplatePiece[]): number =>
      t.reduce((n, p) => n + (p.kind === "SpecialToken" ? specialTokens.get(p.id)!.ids.length : 0), 0);
    this.addedSingle = count(single);
    this.addedPair = count(pair);
  }

  static fromJSON(json: JsonObject, path: string): TemplateProcessing {
    const single = parseTemplate(json.single ?? "$0", `${path}.single`);
    const pair = parseTemplate(json.pair ?? "$A:0 $B:1", `${path}.pair`);
    return new TemplateProcessing(single, pair, parseSpecialTokens(json.special_tokens, `${path}.special_tokens`), path);
  }

  /** Builds from templates in the string shorthand, e.g. ("[CLS]:0 $A:0 [SEP]:0", "[CLS] $A [SEP] $B:1 [SEP]:1"). */
  static fromOptions(options: {
    single: string | TemplatePiece[];
    pair?: string | TemplatePiece[];
    specialTokens: ([string, number] | TemplateSpecialToken)[];
  }): TemplateProcessing {
    const tpl = (t: string | TemplatePiece[], at: string): TemplatePiece[] => (typeof t === "string" ? parseTemplate(t, at) : t);
    const specials = new Map<string, TemplateSpecialToken>();
    for (const s of options.specialTokens) {
      if (Array.isArray(s)) specials.set(s[0], { id: s[0], ids: [s[1]], tokens: [s[0]] });
      else specials.set(s.id, s);
    }
    return new TemplateProcessing(tpl(options.single, "single"), tpl(options.pair ?? "$A:0 $B:1", "pair"), specials);
  }

  addedTokens(isPair: boolean): number {
    return isPair ? this.addedPair : this.addedSingle;
  }

  processEncodings(encodings: Encoding[], addSpecialTokens: boolean): Encoding[] {
    const template = encodings.length === 2 ? this.pair : this.single;
    const out: Encoding[] = [];
    const used = new Set<number>();
    for (const piece of template) {
      if (piece.kind === "Sequence") {
        const i = piece.id === "A" ? 0 : 1;
        const e = encodings[i];
        if (!e) throw new TokenizerError(`the template uses $${piece.id} but only ${encodings.length} sequence(s) were given`);
        // Matches HF: only the encoding itself gets the template's type id, not its overflowing parts.
        e.typeIds = new Array<number>(e.ids.length).fill(piece.typeId);
        setSequenceId(e, i);
        // The encodings are already our copies (BasePostProcessor.process); a second copy is needed only when the
        // template names the same sequence twice, since the next use rewrites its type ids.
        out.push(used.has(i) ? cloneEncoding(e) : e);
        used.add(i);
      } else if (addSpecialTokens) {
        const t = this.specialTokens.get(piece.id)!;
        const n = t.ids.length;
        const special = new Encoding({
            ids: t.ids.slice(),
            typeIds: new Array<number>(n).fill(piece.typeId),
            tokens: t.tokens.slice(),
            wordIds: new Array<number | null>(n).fill(null),
            offsets: Array.from({ length: n }, () => [0, 0] as [number, number]),
            specialTokensMask: new Array<number>(n).fill(1),
            attentionMask: new Array<number>(n).fill(1),
          });
        clearSequenceRanges(special);
        out.push(special);
      }
    }
    return out;
  }

  toJSON(): JsonObject {
    const pieces = (t: TemplatePiece[]): Json[] =>
      t.map((p): Json => (p.kind === "Sequence" ? { Sequence: { id: p.id, type_id: p.typeId } } : { SpecialToken: { id: p.id, type_id: p.typeId } }));
    const specials: JsonObject = {};
    for (const [k, v] of this.specialTokens) specials[k] = { id: v.id, ids: v.ids.slice(), tokens: v.tokens.slice() };
    return { type: this.type, single: pieces(this.single), pair: pieces(this.pair), special_tokens: specials };
  }
}
