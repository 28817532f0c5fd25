// The Converse rows of B1 and B6 with @aws-sdk/client-bedrock-runtime: ConverseCommand and ConverseStreamCommand with
// the prompts, maxTokens and concurrency of invoke.mjs, against the endpoint file's converseModelArn (an imported model
// with a chat template; the endpoint renders the messages with it).
//   node converse.mjs ENDPOINT.json '{"mode":"throughput","count":400,"concurrency":16,"maxTokens":16,"warmup":32}'
//   node converse.mjs ENDPOINT.json '{"mode":"stream","count":20,"maxTokens":16,"warmup":10,"assumedEndpointFirstTokenMs":10}'
// ConverseStream carries no firstByteLatency (its metadata has only the whole call's latencyMs), so the stream mode
// takes the endpoint's own first-token time as assumedEndpointFirstTokenMs (the perTokenLatencyMs knob), as the
// cmdlet's Converse row does.
import { performance } from "node:perf_hooks";
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
// The runtime client ships an HTTP/2 handler; the local endpoint is HTTP/1.1 cleartext, so the SDK's own HTTP/1.1 handler.
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { readArguments, clientConfig, measureInvokeCase } from "./common.mjs";

const { endpoint, options } = readArguments();
const { maxTokens = 16, assumedEndpointFirstTokenMs = 0 } = options;
if (!endpoint.converseModelArn) throw new Error("The endpoint file has no converseModelArn.");
const client = new BedrockRuntimeClient({ ...clientConfig(endpoint), requestHandler: new NodeHttpHandler() });

const request = (i) => ({
  modelId: endpoint.converseModelArn,
  messages: [{ role: "user", content: [{ text: `Benchmark prompt ${i}: name a colour.` }] }],
  inferenceConfig: { maxTokens },
});

async function converse(i) {
  const response = await client.send(new ConverseCommand(request(i)));
  const text = response.output?.message?.content?.[0]?.text;
  if (typeof text !== "string") throw new Error(`unexpected answer ${JSON.stringify(response.output)}`);
}

async function stream(i) {
  const started = performance.now();
  const response = await client.send(new ConverseStreamCommand(request(i)));
  let firstTokenMs = null;
  let stopped = false;
  for await (const event of response.stream) {
    if (event.contentBlockDelta) {
      if (firstTokenMs === null && event.contentBlockDelta.delta?.text) firstTokenMs = performance.now() - started;
    }
    else if (event.messageStop) stopped = true;
    else if (!event.messageStart && !event.contentBlockStart && !event.contentBlockStop && !event.metadata) {
      throw new Error(`unexpected event ${Object.keys(event)}`);
    }
  }
  if (firstTokenMs === null || !stopped) throw new Error("The stream ended without text or without messageStop.");
  return { firstTokenMs, endpointFirstByteMs: assumedEndpointFirstTokenMs };
}

await measureInvokeCase(options, { call: converse, stream });
client.destroy();
