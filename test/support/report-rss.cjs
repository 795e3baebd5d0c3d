// Preloaded (`node --require test/support/report-rss.cjs …`) into a child process whose peak
// memory a test asserts: prints `ADQ_MAX_RSS_KIB=<n>` (getrusage's ru_maxrss) on stderr at exit.
process.on("exit", () => {
  process.stderr.write(`\nADQ_MAX_RSS_KIB=${process.resourceUsage().maxRSS}\n`);
});
