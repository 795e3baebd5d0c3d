// Entry of the bundled CLI (scripts/bundle.mjs → dist/adq.mjs); bin/adq.mjs is the
// development entry (tsx). Same behaviour: run main, exit with its status.
import { main } from "@adq/cli";

process.exitCode = await main(process.argv.slice(2));
