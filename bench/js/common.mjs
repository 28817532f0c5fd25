// Shared by the peer scripts: the endpoint settings the harness hands over, peak RSS, and the one JSON result line.
import { readFileSync } from "node:fs";

// The SDK warns once per process that Node 20 support ends; it is noise in benchmark output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

/** argv[2]: the harness's endpoint file {endpointUrl, region, accessKey, secretKey, modelArn}; argv[3]: case options as JSON. */
export function readArguments() {
  const endpoint = JSON.parse(readFileSync(process.argv[2], "utf8"));
  const options = process.argv[3] ? JSON.parse(process.argv[3]) : {};
  return { endpoint, options };
}

export function clientConfig(endpoint) {
  return {
    endpoint: endpoint.endpointUrl,
    region: endpoint.region,
    credentials: { accessKeyId: endpoint.accessKey, secretAccessKey: endpoint.secretKey },
  };
}

/** Peak resident set of this process in bytes (VmHWM), as the harness reads it for every peer. */
export function peakRssBytes() {
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Number(match[1]) * 1024 : null;
}

/** CPU time of this process (user + system) in milliseconds. */
export function cpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** The harness reads the last stdout line as the result. */
export function emit(result) {
  process.stdout.write(JSON.stringify({ ...result, peakRssBytes: peakRssBytes() }) + "\n");
}

export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
