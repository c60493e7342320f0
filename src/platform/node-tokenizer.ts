// The Tokenizer as Node code inside retoken (lm, transfer folders, the CLI) uses it: every format plugged in and
// Tokenizer.fromFile reading from disk — what `import "retoken"` sets up for users.
import { installNodePlatform } from "./node.js";

installNodePlatform();

export { Tokenizer } from "./tokenizer.js";
