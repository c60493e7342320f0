// Node entry point of retoken ("retoken" package): everything from the browser entry, plus file reading for
// Tokenizer.fromFile.

import { installNodePlatform } from "./platform/node.js";

installNodePlatform();

export * from "./browser.js";
