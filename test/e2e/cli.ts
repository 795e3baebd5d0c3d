// Moved to the test/support kit; kept for the suites that import it from here.
export { type CliResult, compressCli, runCli } from "../support/cli.ts";
