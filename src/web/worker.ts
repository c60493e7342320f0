// The playground's worker: healing and the bundled model run here, so typing never waits on them. The page sends
// tokenizers (their JSON), the model once, and queries (the text before the caret); each query is answered with the
// healing view first, then the model's view when the model is loaded. The page sends a new query only after the
// previous one's "done", always the latest text.
import { CaretEngine, type GenerationSettings, type GenerationView, type HealView, type ModelBackend, type ModelView } from "./caret.js";
import type { JsonObject } from "../tokenize/types.js";

export type ToWorker =
  | { type: "tokenizer"; key: string; json: JsonObject }
  | { type: "model"; config: JsonObject; weights: Uint8Array; tokenizer: string; backend: ModelBackend }
  | { type: "query"; seq: number; prompt: string; healKey: string | null }
  | { type: "generate"; seq: number; prompt: string; settings: GenerationSettings };

export type FromWorker =
  | { type: "model-ready"; ms: number; backend: string }
  | { type: "heal"; seq: number; heal: HealView }
  | { type: "model"; seq: number; model: ModelView }
  | { type: "generating"; seq: number; continuation: string }
  | { type: "generated"; seq: number; view: GenerationView }
  | { type: "error"; seq: number | null; what: "heal" | "model" | "generate"; message: string }
  | { type: "done"; seq: number };

const engine = new CaretEngine();
const post = (m: FromWorker) => (self as unknown as { postMessage(m: FromWorker): void }).postMessage(m);

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const m = event.data;
  if (m.type === "tokenizer") {
    engine.addTokenizer(m.key, m.json);
    return;
  }
  if (m.type === "model") {
    const t0 = performance.now();
    try {
      const backend = await engine.loadModel(m.config, m.weights, m.tokenizer, m.backend);
      post({ type: "model-ready", ms: performance.now() - t0, backend });
    } catch (e) {
      post({ type: "error", seq: null, what: "model", message: (e as Error).message });
    }
    return;
  }
  if (m.type === "generate") {
    // Between its steps the caret's queries still run (each step's forward is one synchronous call).
    try {
      const view = await engine.generate(m.prompt, m.settings, (continuation) => post({ type: "generating", seq: m.seq, continuation }));
      post({ type: "generated", seq: m.seq, view });
    } catch (e) {
      post({ type: "error", seq: m.seq, what: "generate", message: (e as Error).message });
    }
    return;
  }
  const { seq, prompt, healKey } = m;
  if (healKey !== null) {
    try {
      post({ type: "heal", seq, heal: engine.heal(healKey, prompt) });
    } catch (e) {
      post({ type: "error", seq, what: "heal", message: (e as Error).message });
    }
  }
  if (engine.modelLoaded) {
    try {
      const r = await engine.atCaret(prompt, healKey);
      post({ type: "model", seq, model: r.model });
      if (r.heal) post({ type: "heal", seq, heal: r.heal });
    } catch (e) {
      post({ type: "error", seq, what: "model", message: (e as Error).message });
    }
  }
  post({ type: "done", seq });
};
