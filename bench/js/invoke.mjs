// B1, B2 and B6 with @aws-sdk/client-bedrock-runtime: the same prompts, body and concurrency as the cmdlet gets.
//   node invoke.mjs ENDPOINT.json '{"mode":"throughput","count":400,"concurrency":16,"maxTokens":16,"warmup":32}'
//   mode throughput (B1): `concurrency` calls in flight; sequential (B2): one after another; stream (B6): streamed, one at a time.
import { performance } from "node:perf_hooks";
import { BedrockRuntimeClient, InvokeModelCommand, InvokeModelWithResponseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
// The runtime client ships an HTTP/2 handler; the local endpoint is HTTP/1.1 cleartext, so the SDK's own HTTP/1.1 handler.
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { readArguments, clientConfig, cpuMs, emit, median } from "./common.mjs";

const { endpoint, options } = readArguments();
const { mode, count, concurrency = 1, maxTokens = 16, warmup = 0 } = options;
const client = new BedrockRuntimeClient({ ...clientConfig(endpoint), requestHandler: new NodeHttpHandler() });
const decoder = new TextDecoder();

const body = (i) => JSON.stringify({ prompt: `Benchmark prompt ${i}: name a colour.`, max_gen_len: maxTokens });

async function invoke(i) {
  const response = await client.send(new InvokeModelCommand({
    modelId: endpoint.modelArn, contentType: "application/json", accept: "application/json", body: body(i),
  }));
  const json = JSON.parse(decoder.decode(response.body));
  if (typeof json.generation !== "string") throw new Error(`unexpected answer ${JSON.stringify(json)}`);
}

/** Runs count calls with `parallel` in flight; answers wall seconds and CPU ms of this process. */
async function run(total, parallel) {
  let next = 0;
  const cpuBefore = cpuMs();
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(parallel, total) }, async () => {
    while (next < total) await invoke(next++);
  }));
  return { seconds: (performance.now() - started) / 1000, cpuMs: cpuMs() - cpuBefore };
}

async function stream(i) {
  const started = performance.now();
  const response = await client.send(new InvokeModelWithResponseStreamCommand({
    modelId: endpoint.modelArn, contentType: "application/json", accept: "application/json", body: body(i),
  }));
  let firstTokenMs = null;
  let endpointFirstByteMs = null;
  for await (const event of response.body) {
    if (!event.chunk) throw new Error(`unexpected event ${Object.keys(event)}`);
    if (firstTokenMs === null) firstTokenMs = performance.now() - started;
    const chunk = JSON.parse(decoder.decode(event.chunk.bytes));
    const metrics = chunk["amazon-bedrock-invocationMetrics"];
    if (metrics) endpointFirstByteMs = metrics.firstByteLatency;
  }
  return { firstTokenMs, endpointFirstByteMs };
}

// Lets the runtime's background work after the warm-up (optimizing compiler, GC) finish outside the measured CPU time.
const settle = () => new Promise((resolve) => setTimeout(resolve, 1000));

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
} else {
  const parallel = mode === "throughput" ? concurrency : 1;
  if (warmup > 0) {
    await run(warmup, parallel);
    await settle();
  }
  const { seconds, cpuMs: cpu } = await run(count, parallel);
  emit({ count, concurrency: parallel, seconds, callsPerSecond: count / seconds, cpuMs: cpu, cpuMsPerCall: cpu / count });
}
client.destroy();
