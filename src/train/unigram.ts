import type { JsonObject } from "../tokenize/types.js";
import type { PreTokenizerPlan } from "./pretokenize.js";
export function trainUnigram(_w: Map<string, number>, _p: PreTokenizerPlan, _o: object): JsonObject {
  throw new Error("not yet");
}
