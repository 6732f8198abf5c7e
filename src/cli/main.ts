#!/usr/bin/env node
/** The `glide-studio` executable. */
import { main } from "./dispatch.js";

process.exitCode = await main(process.argv.slice(2));
