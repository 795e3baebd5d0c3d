// Moved to the test/support kit; kept for the suites that import it from here.
export { dumpLogs, killAll, type LogLine, ServiceProcess, startService } from "../support/procs.ts";
