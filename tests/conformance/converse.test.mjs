// Converse / ConverseStream on an imported model and on the endpoint's stand-in foundation models, as
// @aws-sdk/client-bedrock-runtime drives them (ConverseCommand, ConverseStreamCommand).
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, InvokeModelCommand,
  ModelStreamErrorException, ThrottlingException, ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { startEndpoint, captureError } from "./harness.mjs";
import { importModel, tinyLlamaFiles } from "./tiny-model.mjs";

const CAPITAL_PROMPT = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";
const STOP = "\nQuestion:";
const STOP_ANSWER = `First answer.${STOP} what comes next?`;
const UNSUPPORTED = "This action doesn't support the model that you provided. Try again with a supported text or chat model.";
const CLAUDE = "anthropic.claude-3-sonnet-20240229-v1:0";
const NOVA = "amazon.nova-lite-v1:0";
const PROFILE = "us.anthropic.claude-3-sonnet-20240229-v1:0";
const STREAM_TIMEOUT = { timeout: 20_000 };

let endpoint;
let runtime;
let modelArn;
let qwen3Arn;

before(async () => {
  endpoint = await startEndpoint();
  // The JavaScript runtime client's shipped HTTP/2 handler, on the endpoint's h2c port.
  runtime = endpoint.track(new BedrockRuntimeClient(endpoint.clientConfig({ endpoint: endpoint.info.http2Url })));
  await endpoint.patchKnobs({ bedrock: { importDurationMs: 200 } });
  const files = tinyLlamaFiles({
    // The tiny template renders "<|system|>…</s>" for a system block; this entry answers only when it did.
    responses: [
      { contains: CAPITAL_PROMPT, response: CAPITAL_ANSWER },
      { contains: "stop-test", response: STOP_ANSWER },
      { contains: "<|system|>Be brief.</s>", response: "Brief." },
    ],
  });
  const job = await importModel(endpoint, { prefix: "converse-model", jobName: "conf-converse-job", modelName: "conf-converse", files });
  modelArn = job.importedModelArn;

  const qwen = tinyLlamaFiles();
  const config = JSON.parse(qwen["config.json"].toString("utf8"));
  config.architectures = ["Qwen3ForCausalLM"];
  config.model_type = "qwen3";
  qwen["config.json"] = Buffer.from(JSON.stringify(config));
  const qwenJob = await importModel(endpoint, { prefix: "converse-qwen3", jobName: "conf-converse-qwen3", modelName: "conf-qwen3", files: qwen });
  qwen3Arn = qwenJob.importedModelArn;
});

after(async () => {
  await endpoint?.stop();
});

const user = (text) => ({ role: "user", content: [{ text }] });

async function converse(input) {
  return runtime.send(new ConverseCommand({ modelId: modelArn, messages: [user(CAPITAL_PROMPT)], ...input }));
}

/** Streams and returns { response, events (the union members in order), text, error (thrown mid-stream, if any) }. */
async function converseStream(input) {
  const response = await runtime.send(new ConverseStreamCommand({ modelId: modelArn, messages: [user(CAPITAL_PROMPT)], ...input }));
  const events = [];
  let error;
  try {
    for await (const event of response.stream) events.push(event);
  } catch (thrown) {
    error = thrown;
  }
  const text = events.filter((e) => e.contentBlockDelta).map((e) => e.contentBlockDelta.delta.text).join("");
  return { response, events, text, error };
}

const textOf = (response) => response.output.message.content.map((block) => block.text).join("");

describe("Converse on an imported model", () => {
  it("answers output.message.content[].text, stopReason end_turn, usage and metrics.latencyMs", async () => {
    const response = await converse({ inferenceConfig: { maxTokens: 64, temperature: 0.2, topP: 0.9 } });
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.equal(response.output.message.role, "assistant");
    assert.equal(textOf(response), CAPITAL_ANSWER);
    assert.equal(response.stopReason, "end_turn");
    assert.ok(response.usage.inputTokens > 0 && response.usage.outputTokens > 0);
    assert.equal(response.usage.totalTokens, response.usage.inputTokens + response.usage.outputTokens);
    assert.ok(Number.isInteger(response.metrics.latencyMs) && response.metrics.latencyMs >= 0);
  });

  it("the system block goes through the model's chat template", async () => {
    const response = await converse({ messages: [user("Say anything.")], system: [{ text: "Be brief." }] });
    assert.equal(textOf(response), "Brief.");
  });

  it("maxTokens cuts the answer: stopReason max_tokens, exactly maxTokens output tokens", async () => {
    const response = await converse({ inferenceConfig: { maxTokens: 3 } });
    assert.equal(response.stopReason, "max_tokens");
    assert.equal(response.usage.outputTokens, 3);
    assert.ok(CAPITAL_ANSWER.startsWith(textOf(response)) && textOf(response).length < CAPITAL_ANSWER.length);
  });

  it("stopSequences cut the text (stop_sequence); with ignoreStop the model talks on past the stop", async () => {
    const input = { messages: [user("Answer the stop-test question.")], inferenceConfig: { maxTokens: 400, stopSequences: [STOP] } };
    const cut = await converse(input);
    assert.equal(textOf(cut), "First answer.");
    assert.equal(cut.stopReason, "stop_sequence");
    try {
      await endpoint.patchKnobs({ bedrock: { ignoreStop: true } });
      const talked = await converse(input);
      assert.ok(textOf(talked).startsWith(STOP_ANSWER), textOf(talked));
      assert.ok(talked.usage.outputTokens > cut.usage.outputTokens + 50);
      const streamed = await converseStream(input);
      assert.equal(streamed.text, textOf(talked));
    } finally {
      await endpoint.patchKnobs({ bedrock: { ignoreStop: false } });
    }
  });

  it("a Qwen3 model is refused with the service's ValidationException", async () => {
    const error = await captureError(() => runtime.send(new ConverseCommand({ modelId: qwen3Arn, messages: [user("Hello")] })));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.equal(error.message, UNSUPPORTED);
    assert.equal(error.$metadata.httpStatusCode, 400);
    const streamError = await captureError(() => runtime.send(new ConverseStreamCommand({ modelId: qwen3Arn, messages: [user("Hello")] })));
    assert.ok(streamError instanceof ValidationException);
  });
});

describe("ConverseStream on an imported model", () => {
  it("messageStart, contentBlockDelta…, contentBlockStop, messageStop, metadata", STREAM_TIMEOUT, async () => {
    const { response, events, text, error } = await converseStream({ inferenceConfig: { maxTokens: 64 } });
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.equal(error, undefined);
    assert.equal(text, CAPITAL_ANSWER);
    assert.equal(events[0].messageStart.role, "assistant");
    const tail = events.slice(-3);
    assert.equal(tail[0].contentBlockStop.contentBlockIndex, 0);
    assert.equal(tail[1].messageStop.stopReason, "end_turn");
    const deltas = events.filter((e) => e.contentBlockDelta);
    assert.equal(deltas.length, events.length - 4);
    assert.equal(tail[2].metadata.usage.outputTokens, deltas.length);
    assert.equal(tail[2].metadata.usage.totalTokens, tail[2].metadata.usage.inputTokens + deltas.length);
    assert.ok(Number.isInteger(tail[2].metadata.metrics.latencyMs));
    const whole = await converse({ inferenceConfig: { maxTokens: 64 } });
    assert.equal(tail[2].metadata.usage.inputTokens, whole.usage.inputTokens);
  });

  it("converseStreamFaultAfterDeltas sends a modelStreamErrorException event after N deltas", STREAM_TIMEOUT, async () => {
    try {
      await endpoint.patchKnobs({ bedrock: { converseStreamFaultAfterDeltas: 2, converseStreamFaultType: "modelStreamErrorException" } });
      const { response, events, error } = await converseStream({});
      assert.equal(response.$metadata.httpStatusCode, 200, "the fault comes after the stream started");
      assert.equal(events.filter((e) => e.contentBlockDelta).length, 2);
      assert.ok(!events.some((e) => e.messageStop || e.metadata));
      assert.ok(error instanceof ModelStreamErrorException, `expected ModelStreamErrorException, got ${error?.name}: ${error?.message}`);
      assert.ok(error.message.length > 0);
    } finally {
      await endpoint.patchKnobs({ bedrock: { converseStreamFaultAfterDeltas: null } });
    }
  });

  it("a throttlingException event surfaces as a typed ThrottlingException", STREAM_TIMEOUT, async () => {
    try {
      await endpoint.patchKnobs({ bedrock: { converseStreamFaultAfterDeltas: 1, converseStreamFaultType: "throttlingException" } });
      const { events, error } = await converseStream({});
      assert.equal(events.filter((e) => e.contentBlockDelta).length, 1);
      assert.ok(error instanceof ThrottlingException, `expected ThrottlingException, got ${error?.name}: ${error?.message}`);
    } finally {
      await endpoint.patchKnobs({ bedrock: { converseStreamFaultAfterDeltas: null, converseStreamFaultType: "modelStreamErrorException" } });
    }
  });
});

describe("stand-in foundation models", () => {
  it("a foundation model id answers Converse and ConverseStream from its book", STREAM_TIMEOUT, async () => {
    const claude = await converse({ modelId: CLAUDE });
    assert.equal(textOf(claude), "The capital of France is Paris.");
    const nova = await converse({ modelId: NOVA });
    assert.equal(textOf(nova), "Paris is the capital of France.");
    const streamed = await converseStream({ modelId: NOVA });
    assert.equal(streamed.text, textOf(nova));
    assert.equal(streamed.events.at(-1).metadata.usage.outputTokens, nova.usage.outputTokens);
  });

  it("the inference profile answers by id and by ARN, like the model it routes to", async () => {
    const byId = await converse({ modelId: PROFILE, messages: [user("Who are you?")] });
    const profileArn = `arn:aws:bedrock:${endpoint.info.region}:123456789012:inference-profile/${PROFILE}`;
    const byArn = await converse({ modelId: profileArn, messages: [user("Who are you?")] });
    const model = await converse({ modelId: CLAUDE, messages: [user("Who are you?")] });
    assert.match(textOf(byId), /Claude 3 Sonnet/);
    assert.equal(textOf(byArn), textOf(byId));
    assert.equal(textOf(model), textOf(byId));
  });

  it("InvokeModel on a foundation model is refused with ValidationException", async () => {
    const error = await captureError(() => runtime.send(new InvokeModelCommand({
      modelId: CLAUDE, contentType: "application/json", body: JSON.stringify({ prompt: "Hi" }),
    })));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.equal(error.message, UNSUPPORTED);
  });
});
