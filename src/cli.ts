#!/usr/bin/env node
/**
 * `npm start` / `switchyard`: the command line (src/cli/program.ts). Without
 * a command it serves, exactly as before; `drill`, `stages`, `audit`, `plan`
 * and `--version` are the operator's tools.
 */
import { runCli } from './cli/program.js';

void runCli(process.argv.slice(2));
