#!/usr/bin/env node
// The `portcullis` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/cli/main.js';

// Exit explicitly: pooled keep-alive sockets and timers must not hold a finished command open.
process.exit(await main(process.argv));
