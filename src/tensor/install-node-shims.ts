// Side-effect import for Node entry points: `import "../tensor/install-node-shims.js"` BEFORE anything that loads
// jax-js, so the wasm memory and the kernels agree on shared memory (jax-js checks for Worker at several points).
import { installNodeShims } from "./shims.js";
installNodeShims();
