// Moved to the test/support kit; kept for the suites that import it from here.
export { collect, demoSlice, sliceOf, tmp } from "../support/fs.ts";
