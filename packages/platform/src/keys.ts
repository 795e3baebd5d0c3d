/**
 * Artifact keys are slash-separated relative paths of safe segments. Validating them at the
 * port boundary keeps a filesystem adapter from ever escaping its root ("../") and keeps
 * keys valid as NATS Object Store names and S3 keys alike.
 */
const SEGMENT = /^[A-Za-z0-9._=-]+$/;

export function assertValidKey(key: string): void {
  if (key.length === 0 || key.length > 512)
    throw new RangeError(`artifact key must be 1..512 characters: ${JSON.stringify(key)}`);
  for (const seg of key.split("/")) {
    if (!SEGMENT.test(seg) || seg === "." || seg === "..") {
      throw new RangeError(
        `artifact key has an invalid segment ${JSON.stringify(seg)}: ${JSON.stringify(key)}`,
      );
    }
  }
}

export function assertValidPrefix(prefix: string): void {
  if (prefix === "") return;
  assertValidKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
}
