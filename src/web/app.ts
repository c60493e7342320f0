// The playground page: a text box, one panel per tokenizer (tokens coloured by id, counts, bytes per token), details
// of the token under the pointer, the caret or the keyboard selection, a chart comparing the panels, and files
// dropped or chosen by the user read in the page (nothing is uploaded). Bundled for the browser by site.ts.
import { Tokenizer } from "../platform/tokenizer.js";
import { packagedTiktokenToTokenizerJson } from "../formats/tiktoken.js";
import type { Encoding } from "../tokenize/encoding.js";
import { renderChart } from "../analyze/charts.js";
import { TokenFaces, changedRange, tokenHue, visibleBytes } from "./token-view.js";
import { base64Decode } from "../util/base64.js";
import type { FromWorker, ToWorker } from "./worker.js";
import type { GenerationView, HealView, ModelView } from "./caret.js";
import { stateFromHash, stateToHash, type PlaygroundState } from "./state.js";

/** What site.ts writes into the page: the bundled tokenizers and where their data is. */
export interface Manifest {
  /** format "tiktoken-packaged": a named encoding as js-tiktoken packs it ({pat_str, special_tokens, bpe_ranks}),
   * else any tokenizer file the runtime reads. */
  tokenizers: { key: string; title: string; script: string; format?: "tiktoken-packaged" }[];
  /** The bundled model: its script hands over {config, weights (base64 safetensors)}; its tokenizer's key. */
  model: { script: string; tokenizer: string; bytes: number } | null;
  /** The worker's script (it hands over the worker's code as text): healing and the model run there. */
  worker: string | null;
}

declare global {
  interface Window {
    retokenManifest: Manifest;
    /** Called by each asset script with its content (script tags load from file:// where fetch cannot). */
    retokenAsset(key: string, text: string): void;
    /** Milliseconds per input event: encode and redraw every panel (read by the latency benchmark). */
    retokenTimings: number[];
    /** Milliseconds from an input event to the end of the next frame that shows it (style, layout and paint included). */
    retokenFrameTimings: number[];
    retokenReady: boolean;
    /** Milliseconds from posting the text before the caret to the worker to drawing the model's views of it. */
    retokenCaretTimings: number[];
  }
}

interface Loaded {
  tokenizer: Tokenizer;
  faces: TokenFaces;
  title: string;
}

/** Tokens drawn per panel; the count stays exact beyond it (a 1 MB paste must not freeze the page). */
const MAX_DRAWN = 20_000;

const $ = <T extends HTMLElement>(sel: string, root: ParentNode = document) => root.querySelector(sel) as T;
/** An element with properties (and a data-testid) set and children appended. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, unknown> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const { testid, ...rest } = props;
  const e = document.createElement(tag);
  Object.assign(e, rest);
  if (typeof testid === "string") e.dataset.testid = testid;
  e.append(...children);
  return e;
}
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, "0")).join(" ");
const utf8 = new TextEncoder();

const loaded = new Map<string, Loaded>();
const pending = new Map<string, Promise<Loaded>>();
const assetWaiters = new Map<string, (text: string) => void>();

window.retokenAsset = (key, text) => assetWaiters.get(key)?.(text);
window.retokenTimings = [];
window.retokenFrameTimings = [];
window.retokenCaretTimings = [];

function loadAsset(key: string, src: string): Promise<string> {
  return new Promise((resolve, reject) => {
    assetWaiters.set(key, (text) => {
      assetWaiters.delete(key);
      resolve(text);
    });
    const script = el("script", { src, onerror: () => reject(new Error(`could not load ${src}`)) });
    document.head.append(script);
  });
}

function prepare(tokenizer: Tokenizer, title: string): Loaded {
  return { tokenizer, faces: new TokenFaces(tokenizer), title };
}

async function loadTokenizer(key: string): Promise<Loaded> {
  const have = loaded.get(key);
  if (have) return have;
  let p = pending.get(key);
  if (!p) {
    const entry = window.retokenManifest.tokenizers.find((t) => t.key === key);
    if (!entry) throw new Error(key.startsWith("file:") ? `${key.slice(5)}: load the file again (files are not kept in links)` : `unknown tokenizer "${key}"`);
    p = loadAsset(key, entry.script).then((text) => {
      const fileName = entry.title;
      const tokenizer = entry.format === "tiktoken-packaged" ? Tokenizer.fromJSON(packagedTiktokenToTokenizerJson(JSON.parse(text), { fileName }), { fileName }) : Tokenizer.fromBytes(utf8.encode(text), { fileName });
      const l = prepare(tokenizer, entry.title);
      loaded.set(key, l);
      return l;
    });
    pending.set(key, p);
  }
  return p;
}

let state: PlaygroundState = stateFromHash(location.hash);

/** The special-token switch: off reads every special token typed in the text as plain text (tiktoken's rule with
 * nothing allowed and nothing refused). */
const specialOptions = () => (state.parseSpecialTokens ? {} : { allowedSpecial: [] as string[], disallowedSpecial: [] as string[] });

class Panel {
  readonly root: HTMLElement;
  readonly select: HTMLSelectElement;
  private readonly count: HTMLElement;
  private readonly stats: HTMLElement;
  private readonly tokens: HTMLElement;
  private readonly details: HTMLElement;
  private readonly note: HTMLElement;
  private ids: number[] = [];
  private encoding: Encoding | null = null;
  private text = "";
  private selected = -1;
  current: Loaded | null = null;

  constructor(public key: string) {
    this.select = el("select", { testid: "tokenizer-select", title: "tokenizer of this panel" });
    this.select.setAttribute("aria-label", "tokenizer");
    this.count = el("strong", { testid: "token-count" }, "0");
    this.stats = el("span", { className: "stats" });
    this.tokens = el("div", { className: "tokens", tabIndex: 0, testid: "tokens" });
    this.tokens.setAttribute("role", "listbox");
    this.tokens.setAttribute("aria-label", "tokens (arrow keys select)");
    this.details = el("div", { className: "details", testid: "token-details" }, "Point at a token, click it, or move the caret in the text.");
    this.note = el("div", { className: "note" });
    const remove = el("button", { type: "button", title: "remove this panel", textContent: "✕" });
    remove.setAttribute("aria-label", "remove panel");
    remove.addEventListener("click", () => removePanel(this));
    this.root = el("section", { className: "panel" }, el("header", {}, this.select, el("span", {}, this.count, " tokens"), this.stats, remove), this.note, this.tokens, this.details);
    this.root.dataset.testid = "panel";
    this.select.addEventListener("change", () => {
      this.key = this.select.value;
      saveState();
      void this.load();
    });
    this.tokens.addEventListener("mouseover", (e) => {
      const i = this.indexOf(e.target);
      if (i >= 0) this.showDetails(i);
    });
    this.tokens.addEventListener("click", (e) => {
      const i = this.indexOf(e.target);
      if (i >= 0) this.selectToken(i);
    });
    this.tokens.addEventListener("keydown", (e) => {
      const moves: Record<string, number> = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -Infinity, End: Infinity };
      const d = moves[e.key];
      if (d === undefined || this.ids.length === 0) return;
      e.preventDefault();
      const n = Math.min(this.ids.length, MAX_DRAWN);
      const from = Number.isFinite(d) && this.selected >= 0 ? this.selected : 0;
      this.selectToken(Math.max(0, Math.min(n - 1, from + d)));
    });
    this.fillOptions();
  }

  fillOptions(): void {
    const options = window.retokenManifest.tokenizers.map((t) => [t.key, t.title] as const);
    for (const [key, l] of loaded) if (key.startsWith("file:")) options.push([key, `${l.title} (your file)`]);
    if (!options.some(([k]) => k === this.key)) options.push([this.key, `${this.key.replace(/^file:/, "")} (not loaded)`]);
    this.select.replaceChildren(...options.map(([value, text]) => el("option", { value, text })));
    this.select.value = this.key;
  }

  async load(): Promise<void> {
    this.note.textContent = "loading…";
    try {
      this.current = await loadTokenizer(this.key);
      this.note.textContent = "";
    } catch (e) {
      this.current = null;
      this.note.textContent = (e as Error).message;
    }
    this.ids = [];
    this.tokens.replaceChildren();
    this.update(this.text || textInput.value, true);
    scheduleChart();
    fillHealOptions();
    scheduleCaret();
  }

  private indexOf(target: EventTarget | null): number {
    const span = (target as HTMLElement | null)?.closest?.("span[data-id]");
    return span && span.parentElement === this.tokens ? Array.prototype.indexOf.call(this.tokens.children, span) : -1;
  }

  /** Re-encodes the whole text and redraws only the tokens that changed (ids equal at both ends keep their spans). */
  update(text: string, force = false): void {
    this.text = text;
    const l = this.current;
    if (!l) {
      this.count.textContent = "–";
      return;
    }
    let encoding: Encoding;
    try {
      encoding = l.tokenizer.encode(text, { addSpecialTokens: state.addSpecialTokens, ...specialOptions() });
    } catch (e) {
      this.note.textContent = (e as Error).message;
      return;
    }
    this.encoding = encoding;
    const ids = encoding.ids;
    const drawnBefore = Math.min(this.ids.length, MAX_DRAWN);
    const drawnAfter = Math.min(ids.length, MAX_DRAWN);
    const [prefix, suffix] = force ? [0, 0] : changedRange(this.ids.slice(0, drawnBefore), ids.slice(0, drawnAfter));
    const children = this.tokens.children;
    for (let i = drawnBefore - suffix - 1; i >= prefix; i--) children[i]!.remove();
    const fresh = document.createDocumentFragment();
    for (let i = prefix; i < drawnAfter - suffix; i++) fresh.append(this.tokenSpan(ids[i]!));
    this.tokens.insertBefore(fresh, children[prefix] ?? null);
    this.ids = ids.slice();
    if (this.selected >= drawnAfter) this.selected = -1;
    const bytes = utf8.encode(text).length;
    this.count.textContent = String(ids.length);
    this.stats.textContent = ` · ${text.length} chars · ${bytes} bytes · ${ids.length ? (bytes / ids.length).toFixed(2) : "–"} bytes/token${ids.length > MAX_DRAWN ? ` · first ${MAX_DRAWN} drawn` : ""}`;
  }

  private tokenSpan(id: number): HTMLSpanElement {
    const face = this.current!.faces.face(id);
    const span = el("span", { className: face.special ? "t s" : face.partial ? "t p" : "t", textContent: face.label });
    span.dataset.id = String(id);
    span.style.setProperty("--h", String(tokenHue(id)));
    return span;
  }

  selectToken(i: number, scroll = true): void {
    this.tokens.children[this.selected]?.classList.remove("sel");
    this.selected = i;
    const span = this.tokens.children[i] as HTMLElement | undefined;
    span?.classList.add("sel");
    // Scrolling forces a layout: done for pointer and keyboard selection, not for every caret move while typing.
    if (scroll) span?.scrollIntoView({ block: "nearest" });
    this.showDetails(i);
  }

  /** The token covering a UTF-16 position of the text (the caret), by binary search over offsets. */
  selectAt(position: number): void {
    const offsets = this.encoding?.offsets;
    if (!offsets || offsets.length === 0) return;
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid]![1] <= position) lo = mid + 1;
      else hi = mid;
    }
    if (lo < MAX_DRAWN) this.selectToken(lo, false);
  }

  private showDetails(i: number): void {
    const e = this.encoding;
    if (!e || !this.current || i >= e.ids.length) return;
    const id = e.ids[i]!;
    const face = this.current.faces.face(id);
    const [s, t] = e.offsets[i]!;
    const [bs, bt] = e.byteOffsets[i]!;
    const token = this.current.tokenizer.idToToken(id) ?? "";
    this.details.replaceChildren(
      el("span", {}, `#${i} · id `, el("strong", { textContent: String(id) })),
      ` · token ${JSON.stringify(token)} · bytes ${hex(face.bytes) || "(none)"}${face.partial ? " (part of a character)" : ""}${face.special ? " · special" : ""}`,
      ` · text [${s}, ${t}) UTF-16, [${bs}, ${bt}) bytes: ${JSON.stringify(this.text.slice(s, t))}`,
    );
  }
}

const panels: Panel[] = [];
const textInput = el("textarea", { testid: "text-input", spellcheck: false, rows: 6 });
textInput.setAttribute("aria-label", "text to tokenize");
const panelsBox = el("div", { className: "panels" });
const chartBox = el("figure", { className: "chart", testid: "compare-chart" });

function addPanel(key: string): Panel {
  const p = new Panel(key);
  panels.push(p);
  panelsBox.append(p.root);
  void p.load();
  return p;
}

function removePanel(p: Panel): void {
  panels.splice(panels.indexOf(p), 1);
  p.root.remove();
  saveState();
  scheduleChart();
  fillHealOptions();
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  state = { ...state, text: textInput.value, tokenizers: panels.map((p) => p.key) };
  clearTimeout(saveTimer);
  // A keystroke must not wait on history; the link catches up a moment later.
  saveTimer = setTimeout(() => history.replaceState(null, "", stateToHash(state)), 200);
}

let chartTimer: ReturnType<typeof setTimeout> | undefined;
function scheduleChart(): void {
  clearTimeout(chartTimer);
  chartTimer = setTimeout(drawChart, 250);
}

function drawChart(): void {
  const bytes = utf8.encode(textInput.value).length;
  const rows = panels.filter((p) => p.current).map((p, i) => {
    const n = Number($("[data-testid=token-count]", p.root).textContent) || 0;
    return { label: `${i + 1}. ${p.current!.title}`, value: n, text: `${n} tokens · ${n ? (bytes / n).toFixed(2) : "–"} B/token` };
  });
  if (rows.length === 0) return chartBox.replaceChildren();
  const svg = renderChart({ id: "tokens", title: "Tokens for this text", axis: "tokens (fewer: cheaper)", mark: "bar", rows, sort: "ascending", digits: 0 }, document);
  chartBox.replaceChildren(el("figcaption", { textContent: "Tokens for this text, fewest first" }), svg);
}

function onInput(event: Event): void {
  const t0 = performance.now();
  const text = textInput.value;
  for (const p of panels) p.update(text);
  window.retokenTimings.push(performance.now() - t0);
  scheduleCaret();
  const start = event.timeStamp;
  requestAnimationFrame(() => setTimeout(() => window.retokenFrameTimings.push(performance.now() - start)));
  saveState();
  scheduleChart();
}

async function addFiles(list: ArrayLike<File>): Promise<void> {
  for (const file of Array.from(list)) {
    const key = `file:${file.name}`;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const l = prepare(Tokenizer.fromBytes(bytes, { fileName: file.name }), file.name);
      loaded.set(key, l);
      pending.delete(key);
    } catch (e) {
      status.textContent = `${file.name}: ${(e as Error).message}`;
      continue;
    }
    status.textContent = `${file.name} loaded in this page (nothing was uploaded).`;
    const waiting = panels.find((p) => p.key === key);
    for (const p of panels) p.fillOptions();
    if (waiting) void waiting.load();
    else addPanel(key);
  }
  saveState();
}

const status = el("p", { className: "status", testid: "status" });

/** Healing and the model run in a worker (worker.ts), fed the text before the caret once typing pauses: the latest
 * text only, one query at a time. */
let worker: Worker | null = null;
let workerStarting: Promise<Worker> | null = null;
const workerTokenizers = new Set<string>();
let querySeq = 0;
let queryInFlight = false;
let queryQueued = false;
let queryPostedAt = 0;
let caretTimer: ReturnType<typeof setTimeout> | undefined;

function startWorker(): Promise<Worker> {
  workerStarting ??= loadAsset("worker", window.retokenManifest.worker!).then((code) => {
    const w = new Worker(URL.createObjectURL(new Blob([code], { type: "text/javascript" })));
    w.onmessage = (e: MessageEvent<FromWorker>) => onWorkerMessage(e.data);
    w.onerror = (e) => (healStatus.textContent = `worker: ${e.message}`);
    return (worker = w);
  });
  return workerStarting;
}

const post = (m: ToWorker, transfer: Transferable[] = []) => worker!.postMessage(m, transfer);

/** Hands a loaded tokenizer to the worker (once). */
function toWorker(key: string): void {
  const l = loaded.get(key);
  if (!l || workerTokenizers.has(key)) return;
  post({ type: "tokenizer", key, json: l.tokenizer.toJSON() });
  workerTokenizers.add(key);
}

function scheduleCaret(): void {
  if (!worker) return;
  clearTimeout(caretTimer);
  // Healing and the model wait until typing pauses; the keystroke path only posts nothing.
  caretTimer = setTimeout(sendQuery, 250);
}

/** The healing view's tokenizer: the one chosen, else the first panel's. */
function healKey(): string | null {
  const key = healSelect.value || panels[0]?.key || null;
  return key && loaded.has(key) ? key : null;
}

/** The text before the caret; a caret between the halves of a surrogate pair reads the whole character. */
function promptBeforeCaret(): string {
  const caret = textInput.selectionStart ?? textInput.value.length;
  const prompt = textInput.value.slice(0, caret);
  return /[\ud800-\udbff]$/.test(prompt) ? textInput.value.slice(0, caret + 1) : prompt;
}

function sendQuery(): void {
  if (!worker) return;
  if (queryInFlight) {
    queryQueued = true;
    return;
  }
  const key = healKey();
  if (key) toWorker(key);
  const prompt = promptBeforeCaret();
  queryInFlight = true;
  queryPostedAt = performance.now();
  post({ type: "query", seq: ++querySeq, prompt, healKey: key });
  healStatus.textContent = "working…";
}

function onWorkerMessage(m: FromWorker): void {
  if (m.type === "model-ready") {
    modelStatus.textContent = `model ready (${m.ms.toFixed(0)} ms to read the weights); runs on ${m.backend}.`;
    modelStatus.dataset.backend = m.backend;
    genButton.disabled = false;
    scheduleCaret();
  } else if (m.type === "heal") drawHeal(m.heal);
  else if (m.type === "generating") {
    if (m.seq === genSeq) genText.textContent = m.continuation;
  } else if (m.type === "generated") {
    if (m.seq === genSeq) drawGeneration(m.view);
  } else if (m.type === "error" && m.what === "generate") {
    genStatus.textContent = `generation: ${m.message}`;
    genButton.disabled = false;
  }
  else if (m.type === "model") {
    drawModel(m.model);
    window.retokenCaretTimings.push(performance.now() - queryPostedAt);
  }
  else if (m.type === "error") (m.what === "heal" ? healStatus : modelStatus).textContent = `${m.what}: ${m.message}`;
  else if (m.type === "done") {
    queryInFlight = false;
    if (queryQueued) {
      queryQueued = false;
      sendQuery();
    }
  }
}

/** The healing section: what rollback healing removes from the text before the caret and which tokens may come next. */
const healBox = el("section", { className: "heal", testid: "heal-panel" });
const healSelect = el("select", { testid: "heal-tokenizer", title: "tokenizer to heal with" });
const healStatus = el("p", { className: "status", testid: "heal-status" });
const healView = el("div", { className: "heal-view", testid: "heal-view" });
healSelect.setAttribute("aria-label", "tokenizer to heal with");
healSelect.addEventListener("change", sendQuery);

function fillHealOptions(): void {
  const keep = healSelect.value;
  const keys = [...new Set(panels.map((p) => p.key))].filter((k) => loaded.has(k));
  healSelect.replaceChildren(...keys.map((k) => el("option", { value: k, text: loaded.get(k)!.title })));
  healSelect.value = keys.includes(keep) ? keep : (keys[0] ?? "");
}

function tokenChip(row: { id: number; label: string }, className = "t"): HTMLSpanElement {
  const span = el("span", { className, textContent: row.label });
  span.dataset.id = String(row.id);
  span.style.setProperty("--h", String(tokenHue(row.id)));
  return span;
}

/** Probabilities of the shown candidates from the model (when the healing tokenizer is the model's). */
let healed: { prompt: string; p: Map<number, number> } = { prompt: "", p: new Map() };

function drawHeal(h: HealView): void {
  const r = h.report;
  healStatus.textContent = `${loaded.get(h.key)?.title ?? h.key}: ${h.ms.toFixed(0)} ms in the worker.`;
  const report = el("p", { testid: "heal-report" });
  report.dataset.tokensRemoved = String(r.tokensRemoved);
  report.dataset.bytesRemoved = String(r.bytesRemoved);
  report.dataset.candidates = String(r.candidates);
  report.textContent =
    r.tokensRemoved === 0 && r.bytesRemoved === 0
      ? "Nothing to heal: no token goes on from the end of this text, so generation continues from its own tokens."
      : `Rollback removes the struck ${r.tokensRemoved} token${r.tokensRemoved === 1 ? "" : "s"} (${r.bytesRemoved} byte${r.bytesRemoved === 1 ? "" : "s"}); the next tokens must spell ${JSON.stringify(h.removedLabel)} again first — ${r.candidates} token${r.candidates === 1 ? "" : "s"} may come first.`;
  const removed = el("span", { testid: "heal-removed" }, ...h.removed.map((t) => tokenChip(t, "t removed")));
  removed.dataset.bytes = h.removedBytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  const tokens = el("div", { className: "tokens heal-tokens", title: "the end of the text before the caret; struck: the tokens rollback removes" }, h.kept > h.keptTail.length ? "… " : "", el("span", { testid: "heal-kept" }, ...h.keptTail.map((t) => tokenChip(t))), removed);
  const list = el("ol", { className: "candidates", testid: "heal-candidates" });
  for (const c of h.candidates) {
    const li = el("li", {}, tokenChip(c), c.canonical ? "" : el("span", { className: "note", textContent: " (not canonical here: refused)" }));
    li.dataset.id = String(c.id);
    li.dataset.canonical = String(c.canonical);
    const p = h.byModel && healed.prompt === h.prompt && h.key === window.retokenManifest.model?.tokenizer ? healed.p.get(c.id) : undefined;
    if (p !== undefined) {
      li.dataset.p = String(p);
      li.append(` ${(100 * p).toFixed(2)}%`);
    }
    list.append(li);
  }
  const more = r.candidates > h.candidates.length ? el("p", { className: "stats", textContent: `first ${h.candidates.length} of ${r.candidates} candidates` }) : "";
  healView.dataset.prompt = h.prompt;
  healView.dataset.key = h.key;
  healView.replaceChildren(tokens, report, ...(h.candidates.length ? [el("p", { textContent: "Tokens that may come first, most likely first once the model is loaded (one marked refused would make the text non-canonical):" }), list, more] : []));
}

/** Generation with token healing: the model continues the text before the caret; the view shows what healing took
 * off its end and the tokens that spelled it again. */
const genBox = el("div", { className: "generate", testid: "generate-panel" });
const genHeal = el("select", { testid: "generate-heal", title: "token healing mode" });
genHeal.setAttribute("aria-label", "token healing mode");
genHeal.append(
  el("option", { value: "rollback", text: "rollback: back up over the last tokens, spell their bytes again" }),
  el("option", { value: "exact", text: "exact: a canonical cover drawn by its probability" }),
  el("option", { value: "off", text: "off: continue the text's own tokens" }),
);
const genTokens = el("input", { type: "number", value: "24", min: "1", max: "200", testid: "generate-max-tokens", title: "tokens to generate" });
genTokens.setAttribute("aria-label", "tokens to generate");
const genButton = el("button", { type: "button", testid: "generate-button", textContent: "Continue the text before the caret (greedy)", disabled: true });
const genStatus = el("p", { className: "status", testid: "generate-status" });
const genWindow = el("span", { className: "gen-window" });
const genText = el("span", { className: "gen-text", testid: "generate-continuation" });
const genOutput = el("p", { className: "gen-output", testid: "generate-output" }, genWindow, genText);
const genTokenList = el("div", { className: "tokens", testid: "generate-tokens" });
let genSeq = 0;

function startGeneration(): void {
  const prompt = promptBeforeCaret();
  const maxTokens = Math.max(1, Math.min(200, Math.round(Number(genTokens.value)) || 24));
  genButton.disabled = true;
  genStatus.textContent = "generating…";
  genWindow.textContent = "";
  genText.textContent = "";
  genTokenList.replaceChildren();
  delete genOutput.dataset.continuation;
  post({ type: "generate", seq: ++genSeq, prompt, settings: { heal: genHeal.value as GenerationView["heal"], maxTokens, temperature: 0, seed: 0 } });
}

function drawGeneration(v: GenerationView): void {
  const r = v.healing;
  genButton.disabled = false;
  genWindow.textContent = v.window.length < v.prompt.length ? `… ${v.window}` : v.window;
  genText.textContent = v.continuation;
  Object.assign(genOutput.dataset, { prompt: v.prompt, window: v.window, heal: v.heal, continuation: v.continuation, tokensRemoved: String(r.tokensRemoved), bytesRemoved: String(r.bytesRemoved) });
  genStatus.textContent =
    (v.heal === "off" || (r.tokensRemoved === 0 && r.bytesRemoved === 0)
      ? "Generated from the text's own tokens."
      : `Healing (${v.heal}) took ${r.tokensRemoved} token${r.tokensRemoved === 1 ? "" : "s"} (${r.bytesRemoved} byte${r.bytesRemoved === 1 ? "" : "s"}) off the end; the first tokens below spell them again, so the text is never changed.`) +
    ` ${v.tokens.length} tokens, ${v.passes} model calls, ${v.ms.toFixed(0)} ms in the worker.`;
  genTokenList.replaceChildren(...(v.removed.length ? [el("span", { testid: "generate-removed" }, ...v.removed.map((t) => tokenChip(t, "t removed"))), " → "] : []), ...v.tokens.map((t) => tokenChip(t)));
}

/** The model section: next-token, naive and exact next-byte probabilities at the caret, from the bundled model. */
const modelBox = el("section", { className: "model", testid: "model-panel" });
const modelStatus = el("p", { className: "status", testid: "model-status" });
/** WebGPU where the browser has an adapter (else, or unticked, the plain-JS forward on the CPU). */
const useWebGpu = el("input", { type: "checkbox", checked: true, testid: "model-webgpu" });
const exactStatus = el("p", { className: "status", testid: "exact-status" });
const nextTokens = el("figure", { className: "chart", testid: "next-tokens" });
const nextBytes = el("figure", { className: "chart", testid: "next-bytes" });
const exactBytes = el("figure", { className: "chart", testid: "exact-next-bytes" });
const exactCovers = el("figure", { className: "chart", testid: "exact-healing" });

async function loadModel(): Promise<void> {
  const m = window.retokenManifest.model!;
  modelStatus.textContent = "loading the model…";
  try {
    const [text, tok] = await Promise.all([loadAsset("model", m.script), loadTokenizer(m.tokenizer), startWorker()]);
    const { config, weights } = JSON.parse(text) as { config: Record<string, unknown>; weights: string };
    const bytes = base64Decode(weights);
    if (!bytes) throw new Error("the model asset is not valid base64");
    toWorker(m.tokenizer);
    post({ type: "model", config: config as never, weights: bytes, tokenizer: m.tokenizer, backend: useWebGpu.checked ? "auto" : "cpu" }, [bytes.buffer]);
    modelTok = tok;
    modelStatus.textContent = "reading the weights in the worker…";
  } catch (e) {
    modelStatus.textContent = `model: ${(e as Error).message}`;
  }
}
let modelTok: Loaded | null = null;

function rankedList(rows: { label: string; p: number; id: number }[], testid: string): HTMLOListElement {
  const ol = el("ol", { className: "ranked", testid });
  for (const r of rows) {
    const li = el("li", { textContent: `${r.label} ${(100 * r.p).toFixed(2)}%` });
    li.dataset.id = String(r.id);
    li.dataset.p = String(r.p);
    ol.append(li);
  }
  return ol;
}

function probabilityChart(id: string, title: string, rows: { label: string; p: number }[]): SVGSVGElement {
  return renderChart({ id, title, axis: "probability", mark: "bar", rows: rows.map((r) => ({ label: r.label, value: r.p, text: `${(100 * r.p).toFixed(1)}%` })), sort: "descending" }, document);
}

function drawModel(v: ModelView): void {
  const tok = modelTok!;
  healed = { prompt: v.prompt, p: new Map((v.healed ?? []).map((h) => [h.id, h.p])) };
  const caret = textInput.selectionStart ?? textInput.value.length;
  const whole = tok.tokenizer.encode(textInput.value, { addSpecialTokens: false });
  const inside = whole.offsets.findIndex(([s, e]) => s < caret && caret < e);
  modelStatus.textContent =
    `The model read ${v.windowBytes < v.promptBytes ? `the last ${v.windowBytes} of the ${v.promptBytes} bytes` : `the ${v.windowBytes} bytes`} before the caret (${v.contextTokens} tokens of ${tok.title}); ${v.ms.toFixed(0)} ms in the worker.` +
    (inside >= 0 ? ` The caret is inside the token ${JSON.stringify(tok.faces.face(whole.ids[inside]!).label)}: the naive next byte below is biased by the cut; the exact one is not.` : "");
  const byteLabel = (b: number) => visibleBytes(Uint8Array.of(b)).label;
  const tokenRows = v.nextTokens.map((r) => ({ id: r.id, p: r.p, label: `${tok.faces.face(r.id).label} (${r.id})` }));
  const naiveRows = v.naiveBytes.map((r) => ({ ...r, label: byteLabel(r.id) }));
  nextTokens.replaceChildren(el("figcaption", { textContent: "Next token" }), probabilityChart("next-token", "next token", tokenRows), rankedList(tokenRows, "next-token-list"));
  nextBytes.replaceChildren(el("figcaption", { textContent: "Next byte, naive (next-token mass summed by first byte)" }), probabilityChart("next-byte", "next byte", naiveRows), rankedList(naiveRows, "next-byte-list"));
  modelBox.dataset.prompt = v.prompt;
  const x = v.exact;
  if ("error" in x) {
    exactStatus.textContent = `exact next byte: ${x.error}`;
    exactBytes.replaceChildren();
    exactCovers.replaceChildren();
    return;
  }
  const exactRows = x.bytes.map((r) => ({ ...r, label: byteLabel(r.id) }));
  exactStatus.dataset.end = String(x.endOfText);
  exactStatus.textContent =
    `Exact next byte: every canonical tokenization of those bytes weighed by the model; ` +
    `end of text ${(100 * x.endOfText).toFixed(2)}%; ${x.passes} model calls, ${x.ms.toFixed(0)} ms.`;
  exactBytes.replaceChildren(el("figcaption", { textContent: "Next byte, exact (all canonical covers)" }), probabilityChart("exact-next-byte", "exact next byte", exactRows), rankedList(exactRows, "exact-next-byte-list"));
  const covers = el("ol", { className: "candidates", testid: "exact-covers" });
  for (const c of x.covers) {
    const li = el("li", {}, c.common > 0 ? "… " : "", ...c.head.map((t) => tokenChip(t)), c.extra ? el("span", { className: "stats", textContent: ` (+${c.extra})` }) : "", ` ${(100 * c.p).toFixed(2)}%`);
    li.dataset.ids = c.ids.join(",");
    li.dataset.p = String(c.p);
    covers.append(li);
  }
  exactCovers.replaceChildren(
    el("figcaption", { textContent: `Exact healing: how the text's end is tokenized, over all ${x.coverCount} canonical covers (… the text's own tokens; +bytes the last token adds)` }),
    covers,
  );
}

function main(): void {
  const fileInput = el("input", { type: "file", testid: "tokenizer-file", multiple: true, accept: ".json,.model,.tiktoken,application/json" });
  fileInput.addEventListener("change", () => void addFiles(fileInput.files ?? []).then(() => (fileInput.value = "")));
  const addButton = el("button", { type: "button", textContent: "+ panel" });
  addButton.addEventListener("click", () => {
    addPanel(window.retokenManifest.tokenizers[0]!.key);
    saveState();
  });
  const toggle = (label: string, checked: boolean, on: (v: boolean) => void, testid: string) => {
    const box = el("input", { type: "checkbox", checked, testid });
    box.addEventListener("change", () => {
      on(box.checked);
      saveState();
      for (const p of panels) p.update(textInput.value, true);
      scheduleChart();
    });
    return el("label", {}, box, " ", label);
  };
  const controls = el(
    "div",
    { className: "controls" },
    el("label", { className: "file" }, "Add a tokenizer file (tokenizer.json, .model, .tiktoken — read here, never uploaded): ", fileInput),
    addButton,
    toggle("add special tokens (BOS/EOS)", state.addSpecialTokens, (v) => (state.addSpecialTokens = v), "add-special"),
    toggle("match special tokens in the text", state.parseSpecialTokens, (v) => (state.parseSpecialTokens = v), "parse-special"),
  );
  textInput.value = state.text;
  textInput.addEventListener("input", onInput);
  const caret = () => {
    if (document.activeElement === textInput) for (const p of panels) p.selectAt(textInput.selectionStart);
    scheduleCaret();
  };
  textInput.addEventListener("keyup", caret);
  textInput.addEventListener("click", caret);
  document.body.append(
    el("header", {}, el("h1", { textContent: "retoken playground" }), el("p", { textContent: "Tokens coloured by id; · is a space, ↵ a line break, ⟨E6 97⟩ bytes that are part of a character. Everything runs in this page." })),
    controls,
    status,
    textInput,
    panelsBox,
    chartBox,
    healBox,
    modelBox,
  );
  healBox.append(el("h2", { textContent: "Token healing at the caret" }), el("label", {}, "tokenizer ", healSelect), healStatus, healView);
  if (window.retokenManifest.worker) void startWorker().then(scheduleCaret);
  const manifestModel = window.retokenManifest.model;
  if (manifestModel) {
    const load = el("button", { type: "button", testid: "model-load", textContent: `Load the bundled model (${(manifestModel.bytes / 1e6).toFixed(0)} MB, runs in this page)` });
    load.addEventListener("click", () => {
      load.disabled = true;
      useWebGpu.disabled = true;
      void loadModel();
    });
    genButton.addEventListener("click", startGeneration);
    genBox.append(el("h3", { textContent: "Generate with token healing" }), el("label", {}, "healing ", genHeal), " ", el("label", {}, "tokens ", genTokens), " ", genButton, genStatus, genOutput, genTokenList);
    modelBox.append(el("h2", { textContent: "The model at the caret" }), load, " ", el("label", {}, useWebGpu, " on WebGPU where this browser has it"), modelStatus, exactStatus, el("div", { className: "model-views" }, nextTokens, nextBytes, exactBytes, exactCovers), genBox);
  }
  // Drop a file anywhere on the page.
  document.addEventListener("dragover", (e) => e.preventDefault());
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer?.files.length) void addFiles(e.dataTransfer.files);
  });
  window.addEventListener("hashchange", () => {
    const next = stateFromHash(location.hash);
    if (stateToHash(next) === stateToHash(state)) return;
    textInput.value = next.text;
    for (const p of [...panels]) removePanel(p);
    state = next;
    for (const key of next.tokenizers) addPanel(key);
    for (const box of Array.from(document.querySelectorAll<HTMLInputElement>("input[type=checkbox]"))) box.checked = box.dataset.testid === "add-special" ? next.addSpecialTokens : next.parseSpecialTokens;
  });
  for (const key of state.tokenizers) addPanel(key);
  void Promise.allSettled(panels.map((p) => loadTokenizer(p.key))).then(() => (window.retokenReady = true));
}

main();
