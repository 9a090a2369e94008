#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is a function from argv to an exit code (src/main.ts).
require('../dist/src/main.js').runFromProcess();
