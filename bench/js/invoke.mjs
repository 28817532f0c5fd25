// B1, B2 and B6 with @aws-sdk/client-bedrock-runtime: the same prompts, body and concurrency as the cmdlet gets.
//   node invoke.mjs ENDPOINT.json '{"mode":"throughput","count":400,"concurrency":16,"maxTokens":16,"warmup":32}'
//   mode throughput (B1): `concurrency` calls in flight; sequential (B2): one after another; stream (B6): streamed, one at a time.
import { performance } from "node:perf_hooks";
import { BedrockRuntimeClient, InvokeModelCommand, InvokeModelWithResponseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
// The runtime client ships an HTTP/2 handler; the local endpoint is HTTP/1.1 cleartext, so the SDK's own HTTP/1.1 handler.
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { readArguments, clientConfig, measureInvokeCase } from "./common.mjs";

const { endpoint, options } = readArguments();
const { maxTokens = 16 } = options;
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

await measureInvokeCase(options, { call: invoke, stream });
client.destroy();
