import { fuzzFiles } from "./test/support/file-fuzz.js";
const r = await fuzzFiles("model", 1, 30, (c, i) => { if (c.outcome === "differs-from-reference") console.log(i, c); });
