#!/usr/bin/env node
// `npx ecps-console ...` inside this repository: Node >= 22.18 runs the TypeScript CLI directly.
import './cli.ts';
