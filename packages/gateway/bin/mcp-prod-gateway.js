#!/usr/bin/env node
// The `mcp-prod-gateway` command. It is a committed file rather than dist/cli.js
// itself so that installing the workspace links the command before anything is built.
import "../dist/cli.js";
