// Every `retoken` command module, one line each: a module exports register(program).
import type { Command } from "commander";
import { register as encode } from "./encode.js";
import { register as decode } from "./decode.js";
import { register as inspect } from "./inspect.js";
import { register as demo } from "./demo.js";
import { register as train } from "./train.js";
import { register as count } from "./count.js";
import { register as compare } from "./compare.js";
import { register as mixture } from "./mixture.js";
import { register as bpb } from "./bpb.js";
import { register as generate } from "./generate.js";
import { register as transferEval } from "./transfer-eval.js";
import { register as transfer } from "./transfer.js";
import { register as finetune } from "./finetune.js";
import { register as convert } from "./convert.js";
import { register as view } from "./view.js";
import { register as nextBytes } from "./next-bytes.js";
import { register as playground } from "./playground.js";
import { register as dynamic } from "./dynamic.js";

export const commands: ((program: Command) => void)[] = [demo, encode, decode, inspect, train, count, compare, mixture, bpb, generate, transfer, finetune, transferEval, convert, view, nextBytes, playground, dynamic];
