// What the playground computes at the caret, off the page's thread (worker.ts runs it): what token healing does to the
// text before the caret (any tokenizer; retoken/decode's planHealing and HealingConstraint), and, from the bundled
// model, the next token, the naive next byte (next-token mass summed by first byte) and the exact next byte
// (retoken/decode's ByteLM: every canonical cover of the text's bytes), plus the probabilities of the healed first
// token. The byte-level model is kept between queries and only the newly typed bytes are pushed.
import { Tokenizer } from "../tokenize/tokenizer.js";
import type { JsonObject } from "../tokenize/types.js";
import { canonicality, type Canonicality } from "../decode/canonical.js";
import { HealingConstraint, continuationBytes, healingCandidates, planHealing, splitPromptBytes, type HealingPlan, type HealingReport, type HealMode } from "../decode/heal.js";
import { healedGenerate } from "../decode/heal-generate.js";
import { ByteLM, END_OF_TEXT, coverRule, type CoverRule } from "../decode/byte-lm.js";
import { rankedCovers } from "../decode/heal-exact.js";
import { parseModelConfig } from "../lm/config.js";
import { cpuTokenLM } from "../lm/cpu-token-lm.js";
import { webgpuDevice, webgpuTokenLM } from "../lm/webgpu-token-lm.js";
import type { TokenLM, TokenResult } from "../lm/token-lm.js";
import { parseSafetensors } from "../tensor/safetensors.js";
import { jsGemm } from "../tensor/gemm.js";
import type { Arrays } from "../tensor/optim.js";
import { TokenFaces, visibleBytes } from "./token-view.js";

/** Candidates whose canonicity is checked and shown (each check re-encodes; a prompt ending in a space has 30k). */
export const SHOWN_CANDIDATES = 12;
/** Covers of the text's end (exact healing) shown, most likely first. */
export const SHOWN_COVERS = 6;
/** Bytes of text before the caret the model reads (at first; up to twice that while typing): the exact byte-level
 * model makes about one model call per byte, and starts again after an edit that is not typing at the end. The view
 * says when the text was longer and only its end was read. */
export const EXACT_WINDOW = 128;

export interface TokenRow {
  id: number;
  label: string;
}

export interface HealView {
  key: string;
  /** The text before the caret that was healed. */
  prompt: string;
  /** The last kept tokens (at most 8) and how many tokens are kept in all. */
  keptTail: TokenRow[];
  kept: number;
  removed: TokenRow[];
  /** Bytes the continuation must spell first, and a trailing cut character among them. */
  removedBytes: number[];
  removedLabel: string;
  report: HealingReport;
  /** The first SHOWN_CANDIDATES candidates (by model probability when the model's numbers came, else byte order),
   * with the canonicity check of the constraint. */
  candidates: (TokenRow & { canonical: boolean })[];
  /** The candidates are in the model's order (the page shows probabilities beside them only then: the same prompt
   * queried again first gets a byte-order view, whose first candidates are not the most likely ones). */
  byModel: boolean;
  ms: number;
}

/** One way the text's end can be tokenized (exact healing's cover): its ids, how many of them are the text's own
 * tokens, the rest as rows, the bytes its last token adds past the text, and its probability among all covers. */
export interface CoverRow {
  ids: number[];
  common: number;
  head: TokenRow[];
  extra: string;
  p: number;
}

export interface ModelView {
  /** The text before the caret the model read. */
  prompt: string;
  /** Tokens of the window the model read, and the window's and the whole prompt's bytes. */
  contextTokens: number;
  windowBytes: number;
  promptBytes: number;
  nextTokens: { id: number; p: number }[];
  /** The 10 bytes with the most next-token mass summed by first byte (specials left out, not renormalised): the
   * tokenization-biased view. */
  naiveBytes: { id: number; p: number }[];
  /** The exact next byte: the 10 most likely bytes (id: the byte) and the end of text. */
  exact: { bytes: { id: number; p: number }[]; endOfText: number; covers: CoverRow[]; coverCount: number; passes: number; ms: number } | { error: string };
  /** P(candidate | kept tokens) renormalised over the healing candidates, for the shown candidates, when the healing
   * view's tokenizer is the model's. */
  healed: { id: number; p: number }[] | null;
  ms: number;
}

/** Where the page's model runs: "auto" takes WebGPU where the browser has an adapter. */
export type ModelBackend = "auto" | "cpu";

/** A continuation of the text before the caret by the bundled model, with token healing. */
export interface GenerationView {
  /** The text before the caret, and the end of it the model continued (its window, from a word start). */
  prompt: string;
  window: string;
  heal: HealMode;
  /** What the model wrote after the window's last byte: window + continuation is the window's text, continued. */
  continuation: string;
  /** The generated tokens (healing's first), with the model tokenizer's labels. */
  tokens: TokenRow[];
  healing: HealingReport;
  /** The tokens healing took off the window's end (rollback; exact: the ones its drawn cover replaces). */
  removed: TokenRow[];
  passes: number;
  ms: number;
}

export interface GenerationSettings {
  heal: HealMode;
  maxTokens: number;
  /** 0: greedy. */
  temperature: number;
  seed: number;
}

interface Entry {
  tokenizer: Tokenizer;
  faces: TokenFaces;
  canon?: Canonicality;
}

const utf8 = new TextEncoder();

/** The text the exact model reads: all of it, or its end from the first character after a space (or line break)
 * within the last EXACT_WINDOW bytes (a start inside a word would read half a word as a word's beginning). */
export function exactWindow(prompt: string): string {
  if (utf8.encode(prompt).length <= EXACT_WINDOW) return prompt;
  let start = prompt.length;
  for (let bytes = 0; start > 0; ) {
    const cp = prompt.codePointAt(start - 1)!;
    const step = cp >= 0xdc00 && cp < 0xe000 && start >= 2 ? 2 : 1;
    const n = utf8.encode(prompt.slice(start - step, start)).length;
    if (bytes + n > EXACT_WINDOW) break;
    bytes += n;
    start -= step;
  }
  const cut = prompt.slice(start).search(/\s\S/);
  return cut >= 0 && cut < prompt.length - start - 1 ? prompt.slice(start + cut + 1) : prompt.slice(start);
}

export class CaretEngine {
  private readonly entries = new Map<string, Entry>();
  private model: { lm: TokenLM; key: string; rule: CoverRule; reader: ByteLM | null; head: string; read: string; state: { ids: number[]; result: TokenResult } | null } | null = null;

  addTokenizer(key: string, json: JsonObject): void {
    const tokenizer = Tokenizer.fromJSON(json, { fileName: key });
    this.entries.set(key, { tokenizer, faces: new TokenFaces(tokenizer) });
  }

  private entry(key: string): Entry {
    const e = this.entries.get(key);
    if (!e) throw new Error(`healing: tokenizer "${key}" is not loaded here`);
    return e;
  }

  private canon(e: Entry): Canonicality {
    return (e.canon ??= canonicality(e.tokenizer));
  }

  private row(e: Entry, id: number): TokenRow {
    return { id, label: e.faces.face(id).label };
  }

  /** The bundled model (config.json, model.safetensors), read with tokenizer `key`: on WebGPU where `backend` is
   * "auto" and the browser has an adapter (webgpu-token-lm.ts), else on the plain-JS CPU forward. Returns which. */
  async loadModel(configJson: JsonObject, safetensors: Uint8Array, key: string, backend: ModelBackend = "cpu"): Promise<string> {
    const config = parseModelConfig(configJson);
    if (config.arch !== "llama") throw new Error(`config.json: the page runs Llama-family models, not "${config.modelType}"`);
    const { header, read } = parseSafetensors(safetensors);
    const weights: Arrays = {};
    for (const t of header.tensors) weights[t.name] = read(t.name);
    const e = this.entry(key);
    const rule = coverRule(e.tokenizer);
    e.canon = rule.canonical;
    let lm: TokenLM | null = null;
    let name = "CPU (plain JS)";
    if (backend === "auto") {
      const gpu = await webgpuDevice();
      if ("unavailable" in gpu) name += `: ${gpu.unavailable}`;
      else {
        lm = webgpuTokenLM(config, weights, gpu.device);
        name = lm ? `WebGPU (${gpu.adapter})` : `${name}: the model does not fit this WebGPU device's limits`;
      }
    }
    this.model = { lm: lm ?? cpuTokenLM(config, weights, jsGemm), key, rule, reader: null, head: "", read: "", state: null };
    return name;
  }

  get modelLoaded(): boolean {
    return this.model !== null;
  }

  /** Rollback healing of `prompt` with tokenizer `key`: planHealing's removal, and the first candidates with their
   * canonicity verdict (HealingConstraint.canonicalWith), in the order `order` gives (default: byte order). */
  heal(key: string, prompt: string, order?: (ids: number[]) => number[]): HealView {
    const t0 = performance.now();
    const e = this.entry(key);
    const canon = this.canon(e);
    const { text, partial } = splitPromptBytes(prompt);
    const ids = e.tokenizer.encode(text, { addSpecialTokens: false }).ids;
    const plan = planHealing(canon, ids, partial, "rollback");
    let shown: number[] = [];
    let verdict = (_id: number) => true;
    if (plan.removed.length > 0) {
      const all = healingCandidates(canon, plan.keptIds, plan.removed);
      shown = (order ? order(all) : all).slice(0, SHOWN_CANDIDATES);
      const constraint = new HealingConstraint(canon, plan);
      verdict = (id) => constraint.canonicalWith(id);
    }
    return {
      key,
      prompt,
      keptTail: plan.keptIds.slice(-8).map((id) => this.row(e, id)),
      kept: plan.keptIds.length,
      removed: plan.removedIds.map((id) => this.row(e, id)),
      removedBytes: Array.from(plan.removed),
      removedLabel: visibleBytes(plan.removed).label,
      report: plan.report,
      candidates: shown.map((id) => ({ ...this.row(e, id), canonical: verdict(id) })),
      byModel: order !== undefined,
      ms: performance.now() - t0,
    };
  }

  /** The text the model reads: the end of `prompt` from a word start, EXACT_WINDOW bytes at first; its start stays
   * put while the text before it is unchanged and the window at most twice that long, so while typing the model
   * only reads what was typed since the last query. */
  private window(prompt: string): string {
    const m = this.model!;
    if (!(prompt.startsWith(m.head) && utf8.encode(prompt).length - utf8.encode(m.head).length <= 2 * EXACT_WINDOW)) {
      m.head = prompt.slice(0, prompt.length - exactWindow(prompt).length);
    }
    return prompt.slice(m.head.length);
  }

  /** The model after `ids` (start token first): extends the kept state when `ids` go on from its ids. */
  private async after(ids: number[]): Promise<TokenResult> {
    const m = this.model!;
    const kept = m.state;
    const from = kept && kept.ids.length <= ids.length && kept.ids.every((id, i) => id === ids[i]) ? kept : null;
    const result = from && from.ids.length === ids.length ? from.result : (await m.lm.extend([{ from: from?.result.state ?? null, ids: ids.slice(from?.ids.length ?? 0), consume: true }]))[0]!;
    m.state = { ids, result };
    return result;
  }

  /** The model at the caret, on the window of `prompt`; `healKey`: the healing view's tokenizer (its candidates get
   * probabilities when it is the model's). Returns the model's view and the healing view ordered by those
   * probabilities. */
  async atCaret(prompt: string, healKey: string | null): Promise<{ model: ModelView; heal: HealView | null }> {
    const m = this.model;
    if (!m) throw new Error("the model is not loaded");
    const t0 = performance.now();
    const e = this.entry(m.key);
    const { lm } = m;
    const start = lm.startId;
    if (start === null) throw new Error("the model has no start token (BOS or EOS in config.json)");
    const window = this.window(prompt);
    const { text, partial } = splitPromptBytes(window);
    const ids = e.tokenizer.encode(text, { addSpecialTokens: false }).ids;
    // The kept tokens' state (all but the last few, which typing changes; with the model's tokenizer in the healing
    // view, the tokens healing keeps: their distribution is the healed first token's) is extended while typing.
    const plan = healKey === m.key ? planHealing(this.canon(e), ids, partial, "rollback") : null;
    const keep = plan ? plan.keptIds.length : Math.max(0, ids.length - 4);
    const head = await this.after([start, ...ids.slice(0, keep)]);
    const next = keep < ids.length ? (await lm.extend([{ from: head.state, ids: ids.slice(keep) }]))[0]! : head;
    const p = Float64Array.from(next.logProbs, Math.exp);
    let healed: { id: number; p: number }[] | null = null;
    let heal: HealView | null = null;
    if (plan && healKey) {
      const candidates = plan.removed.length ? healingCandidates(this.canon(e), plan.keptIds, plan.removed) : [];
      let z = 0;
      for (const id of candidates) z += Math.exp(head.logProbs[id]!);
      const byP = (list: number[]) => [...list].sort((a, b) => head.logProbs[b]! - head.logProbs[a]!);
      heal = this.heal(healKey, prompt, byP);
      // The window's healing is the whole text's when they remove the same bytes (the window starts at a word).
      const same = heal.removedBytes.length === plan.removed.length && heal.removedBytes.every((b, i) => b === plan.removed[i]);
      healed = same ? heal.candidates.map((c) => ({ id: c.id, p: Math.exp(head.logProbs[c.id]!) / z })) : null;
    }
    const table = m.rule.table;
    const naiveBytes = new Float64Array(256);
    for (let id = 0; id < table.size; id++) if (!table.isSpecial(id) && table.length(id) > 0) naiveBytes[table.bytes(id)[0]!] += p[id]!;
    const exact = await this.exact(window, ids, e);
    return { model: { prompt, contextTokens: ids.length, windowBytes: utf8.encode(window).length, promptBytes: utf8.encode(prompt).length, nextTokens: topK(p, 10), naiveBytes: topK(naiveBytes, 10), exact, healed, ms: performance.now() - t0 }, heal };
  }

  /** The exact next-byte distribution after `window`: the kept byte-level model reads only the bytes typed since the
   * last query when the window goes on from what it read (else it starts again). */
  private async exact(window: string, ids: readonly number[], e: Entry): Promise<ModelView["exact"]> {
    const m = this.model!;
    const t0 = performance.now();
    const passes = m.lm.forwardPasses;
    try {
      if (!m.reader || !window.startsWith(m.read)) {
        m.reader?.close();
        m.reader = null;
        m.read = "";
        m.reader = await ByteLM.create(m.lm, m.rule);
      }
      await m.reader.pushText(window.slice(m.read.length));
      m.read = window;
      const { logProbs } = await m.reader.next();
      const covers = window.length ? rankedCovers(m.reader) : [];
      return {
        covers: covers.slice(0, SHOWN_COVERS).map((c) => {
          let common = 0;
          // At least the last token is shown (a cover that is the text's own tokens shares them all).
          while (common < c.ids.length - 1 && c.ids[common] === ids[common]) common++;
          return { ids: c.ids, common, head: c.ids.slice(common).map((id) => this.row(e, id)), extra: visibleBytes(c.extra).label, p: c.p };
        }),
        coverCount: covers.length,
        bytes: topK(Float64Array.from(logProbs.subarray(0, 256), Math.exp), 10),
        endOfText: Math.exp(logProbs[END_OF_TEXT]!),
        passes: m.lm.forwardPasses - passes,
        ms: performance.now() - t0,
      };
    } catch (err) {
      m.reader?.close();
      m.reader = null;
      m.read = "";
      return { error: (err as Error).message };
    }
  }

  /** The bundled model continues the end of `prompt` with token healing (retoken/decode's healedGenerate on the
   * page's forward); `onText` gets the continuation so far after every token. Its states are its own, not the
   * caret's. */
  async generate(prompt: string, settings: GenerationSettings, onText?: (continuation: string) => void): Promise<GenerationView> {
    const m = this.model;
    if (!m) throw new Error("the model is not loaded");
    const t0 = performance.now();
    const passes = m.lm.forwardPasses;
    const e = this.entry(m.key);
    const canon = m.rule.canonical;
    // The end of the text from a word start, as the caret's views read it (the model's 512 positions and exact
    // healing's one call per byte bound what it can read).
    const window = exactWindow(prompt);
    let plan: HealingPlan | null = null;
    const ids: number[] = [];
    const result = await healedGenerate(m.lm, e.tokenizer, canon, window, {
      heal: settings.heal,
      maxTokens: settings.maxTokens,
      temperature: settings.temperature,
      seed: settings.seed,
      onPlan: (p) => (plan = p),
      onToken: (id) => {
        ids.push(id);
        // A fresh streaming decoder holds back a character whose bytes are not all generated yet.
        if (onText && plan) onText(new TextDecoder().decode(continuationBytes(canon, plan, ids), { stream: true }));
      },
    });
    return {
      prompt,
      window,
      heal: settings.heal,
      continuation: new TextDecoder().decode(result.continuation),
      tokens: result.ids.map((id) => this.row(e, id)),
      healing: result.healing,
      removed: ((plan as HealingPlan | null)?.removedIds ?? []).map((id) => this.row(e, id)),
      passes: m.lm.forwardPasses - passes,
      ms: performance.now() - t0,
    };
  }
}

/** The `k` most probable entries of a distribution, most probable first (ties: lower index first). */
export function topK(p: ArrayLike<number>, k: number): { id: number; p: number }[] {
  const out: { id: number; p: number }[] = [];
  for (let id = 0; id < p.length; id++) {
    const v = p[id]!;
    if (out.length < k || v > out[out.length - 1]!.p) {
      out.push({ id, p: v });
      out.sort((a, b) => b.p - a.p || a.id - b.id);
      if (out.length > k) out.pop();
    }
  }
  return out;
}
