// Shared by the peer scripts: the endpoint settings the harness hands over, peak RSS, the one JSON result line, and the
// measuring loops of the invoke cases (B1, B2, B6), so the InvokeModel and Converse peers measure alike.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

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

// Lets the runtime's background work after the warm-up (optimizing compiler, GC) finish outside the measured CPU time.
const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

/** Runs call(i) total times with `parallel` in flight; answers wall seconds and CPU ms of this process. */
async function runCalls(total, parallel, call) {
  let next = 0;
  const cpuBefore = cpuMs();
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(parallel, total) }, async () => {
    while (next < total) await call(next++);
  }));
  return { seconds: (performance.now() - started) / 1000, cpuMs: cpuMs() - cpuBefore };
}

/**
 * Measures one invoke case and emits its result. mode throughput (B1): `concurrency` calls of call(i) in flight;
 * sequential (B2): one after another; stream (B6): stream(i) one at a time, each answering
 * { firstTokenMs, endpointFirstByteMs }. The warm-up runs the same way first, then the process settles for 1 s.
 */
export async function measureInvokeCase({ mode, count, concurrency = 1, warmup = 0 }, { call, stream }) {
  if (mode === "stream") {
    for (let i = 0; i < warmup; i++) await stream(i);
    if (warmup > 0) await settle();
    const samples = [];
    const cpuBefore = cpuMs();
    const started = performance.now();
    for (let i = 0; i < count; i++) samples.push(await stream(i));
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMs() - cpuBefore;
    const overheads = samples.map((s) => s.firstTokenMs - s.endpointFirstByteMs);
    emit({
      count,
      seconds,
      callsPerSecond: count / seconds,
      cpuMs: cpu,
      cpuMsPerCall: cpu / count,
      firstTokenMsMedian: median(samples.map((s) => s.firstTokenMs)),
      endpointFirstByteMsMedian: median(samples.map((s) => s.endpointFirstByteMs)),
      overheadMsMedian: median(overheads),
    });
    return;
  }
  const parallel = mode === "throughput" ? concurrency : 1;
  if (warmup > 0) {
    await runCalls(warmup, parallel, call);
    await settle();
  }
  const { seconds, cpuMs: cpu } = await runCalls(count, parallel, call);
  emit({ count, concurrency: parallel, seconds, callsPerSecond: count / seconds, cpuMs: cpu, cpuMsPerCall: cpu / count });
}
