/**
 * The log function the NATS adapters write through: services pass their structured logger
 * (services/common/log.ts); without one, warnings and errors go to stderr as JSON lines.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

/** Structured JSON lines on stderr for warnings and errors; debug/info dropped. */
export const defaultLogger: Logger = (level, message, fields) => {
  if (level === "warn" || level === "error") {
    process.stderr.write(`${JSON.stringify({ level, component: "nats-bus", message, ...fields })}\n`);
  }
};
