// CPU time of the hypernetwork's forward alone (predictEmbeddingsWithHypernet on the bundled model and hypernet) for one
// target tokenizer: the term "the network's forward" in issue 12's time target for `retoken transfer --method hypernet`.
// Run: node --import tsx scripts/hypernet-forward-time.ts TOKENIZER_FILE
import { installNodeShims } from "../src/tensor/shims.js";
installNodeShims();
const { loadLanguageModel } = await import("../src/lm/node.js");
const { Tokenizer } = await import("../src/index.js");
const { predictEmbeddingsWithHypernet } = await import("../src/transfer/hypernet/index.js");
const { folder, tokenizer } = await loadLanguageModel(undefined);
const target = await Tokenizer.fromFile(process.argv[2]!);
const c0 = process.cpuUsage();
const w0 = Date.now();
const view = await predictEmbeddingsWithHypernet({ model: folder, sourceTokenizer: tokenizer, targetTokenizer: target, hypernetDir: "assets/hypernet" });
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ vocab: target.vocabSize(), rows: view.vocab, forwardCpuS: (c.user + c.system) / 1e6, wallS: (Date.now() - w0) / 1000, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }));
