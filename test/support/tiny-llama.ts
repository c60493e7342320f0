// A small random Llama over any vocabulary: enough structure that its next-token distributions are far from
// uniform, small enough that tests run in milliseconds per forward pass.
import { parseModelConfig, type LlamaConfig } from "../../src/lm/config.js";
import { paramsFromArrays } from "../../src/lm/folder.js";
import { mulberry32, gaussian } from "../../src/util/random.js";
import type { Params } from "../../src/lm/model.js";

export function tinyLlama(vocabSize: number, seed: number, ids: { bos: number; eos: number }): { config: LlamaConfig; params: Params } {
  const [d, ff, L, H, KV, hd] = [16, 32, 2, 2, 1, 8];
  const config = parseModelConfig({
    model_type: "llama", vocab_size: vocabSize, hidden_size: d, intermediate_size: ff, num_hidden_layers: L, num_attention_heads: H,
    num_key_value_heads: KV, head_dim: hd, max_position_embeddings: 128, tie_word_embeddings: false, rope_theta: 10000, bos_token_id: ids.bos, eos_token_id: ids.eos,
  }) as LlamaConfig;
  const shapes: Record<string, number[]> = { "model.embed_tokens.weight": [vocabSize, d], "model.norm.weight": [d], "lm_head.weight": [vocabSize, d] };
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    Object.assign(shapes, {
      [`${p}.input_layernorm.weight`]: [d], [`${p}.post_attention_layernorm.weight`]: [d],
      [`${p}.self_attn.q_proj.weight`]: [H * hd, d], [`${p}.self_attn.k_proj.weight`]: [KV * hd, d], [`${p}.self_attn.v_proj.weight`]: [KV * hd, d], [`${p}.self_attn.o_proj.weight`]: [d, H * hd],
      [`${p}.mlp.gate_proj.weight`]: [ff, d], [`${p}.mlp.up_proj.weight`]: [ff, d], [`${p}.mlp.down_proj.weight`]: [d, ff],
    });
  }
  const normal = gaussian(mulberry32(seed));
  const arrays: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, b) => a * b, 1);
    // A large output head makes peaked distributions, so a wrong cover weight shows.
    const scale = name.includes("norm") ? 0 : name === "lm_head.weight" ? 0.4 : 0.3;
    arrays[name] = { shape, data: Float32Array.from({ length: n }, () => (scale === 0 ? 1 : scale * normal())) };
  }
  return { config, params: paramsFromArrays(arrays) };
}
