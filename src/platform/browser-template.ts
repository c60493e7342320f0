// The browser entry's Jinja engine for chat templates: imported with the entry (a page bundles it anyway; Node's entry
// requires it on first use instead, see node.ts).
import { Template } from "@huggingface/jinja";
import { setTemplateEngine } from "./files.js";

setTemplateEngine(() => Template);
