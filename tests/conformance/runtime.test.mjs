// InvokeModel / InvokeModelWithResponseStream on an imported model, as @aws-sdk/client-bedrock-runtime drives them.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BedrockRuntimeClient, BedrockRuntimeServiceException, InvokeModelCommand, InvokeModelWithResponseStreamCommand,
  ModelNotReadyException, ModelStreamErrorException, ResourceNotFoundException, ThrottlingException, ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { startEndpoint, captureError } from "./harness.mjs";
import { importModel, tinyLlamaFiles } from "./tiny-model.mjs";

const CAPITAL_PROMPT = "What is the capital of France?";
const CAPITAL_ANSWER = "The capital of France is Paris.";
const STOP_PROMPT = "Answer the stop-test question.";
const STOP = "\nQuestion:";
const STOP_ANSWER = `First answer.${STOP} what comes next?`;
const STREAM_TIMEOUT = { timeout: 20_000 };

let endpoint;
let runtime;
let modelArn;

before(async () => {
  endpoint = await startEndpoint();
  runtime = endpoint.runtime;
  await endpoint.patchKnobs({ bedrock: { importDurationMs: 200 } });
  // responses.jsonl fixes the model's answers (documented in the endpoint's TextGenerator), so text can be asserted exactly.
  const files = tinyLlamaFiles({
    responses: [{ prompt: CAPITAL_PROMPT, response: CAPITAL_ANSWER }, { contains: "stop-test", response: STOP_ANSWER }],
  });
  const job = await importModel(endpoint, { prefix: "runtime-model", jobName: "conf-runtime-job", modelName: "conf-runtime", files });
  modelArn = job.importedModelArn;
});

after(async () => {
  await endpoint?.stop();
});

async function invoke(body, client = runtime, id = modelArn) {
  const response = await client.send(new InvokeModelCommand({
    modelId: id, contentType: "application/json", accept: "application/json", body: JSON.stringify(body),
  }));
  return { response, json: JSON.parse(new TextDecoder().decode(response.body)) };
}

/** Streams and returns { response, chunks (decoded JSON), error (thrown mid-stream, if any) }. */
async function invokeStream(body, id = modelArn) {
  const response = await runtime.send(new InvokeModelWithResponseStreamCommand({
    modelId: id, contentType: "application/json", accept: "application/json", body: JSON.stringify(body),
  }));
  const chunks = [];
  let error;
  try {
    for await (const event of response.body) {
      assert.ok(event.chunk, `unexpected event ${JSON.stringify(Object.keys(event))}`);
      assert.ok(event.chunk.bytes instanceof Uint8Array, "chunk.bytes is decoded from base64 into a Uint8Array");
      chunks.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
    }
  } catch (thrown) {
    if (thrown instanceof assert.AssertionError) throw thrown;
    error = thrown;
  }
  return { response, chunks, error };
}

const METRICS = "amazon-bedrock-invocationMetrics";

describe("InvokeModel", () => {
  it("BedrockCompletion {prompt, max_gen_len} answers generation, stop_reason and token counts", async () => {
    const { response, json } = await invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 64 });
    assert.equal(response.$metadata.httpStatusCode, 200);
    assert.equal(response.contentType, "application/json");
    assert.equal(json.generation, CAPITAL_ANSWER);
    assert.equal(json.stop_reason, "stop");
    assert.ok(Number.isInteger(json.prompt_token_count) && json.prompt_token_count > 0);
    assert.ok(Number.isInteger(json.generation_token_count) && json.generation_token_count > 0 && json.generation_token_count <= 64);
  });

  it("max_gen_len cuts the generation: stop_reason length, exactly max_gen_len tokens", async () => {
    const { json } = await invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 3 });
    assert.equal(json.stop_reason, "length");
    assert.equal(json.generation_token_count, 3);
    assert.ok(CAPITAL_ANSWER.startsWith(json.generation) && json.generation.length < CAPITAL_ANSWER.length, json.generation);
  });

  it("OpenAI completion {prompt, max_tokens} answers choices[0].text and usage", async () => {
    const reference = (await invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 64 })).json;
    const { json } = await invoke({ prompt: CAPITAL_PROMPT, max_tokens: 64 });
    assert.equal(json.choices.length, 1);
    assert.equal(json.choices[0].text, CAPITAL_ANSWER);
    assert.equal(json.choices[0].finish_reason, "stop");
    assert.equal(json.usage.prompt_tokens, reference.prompt_token_count);
    assert.equal(json.usage.completion_tokens, reference.generation_token_count);
    assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it("OpenAI chat {messages, max_tokens} answers choices[0].message.content and usage", async () => {
    const { json } = await invoke({ messages: [{ role: "user", content: CAPITAL_PROMPT }], max_tokens: 64 });
    assert.equal(json.choices.length, 1);
    assert.equal(json.choices[0].message.role, "assistant");
    assert.equal(json.choices[0].message.content, CAPITAL_ANSWER);
    assert.equal(json.choices[0].finish_reason, "stop");
    assert.ok(json.usage.prompt_tokens > 0 && json.usage.completion_tokens > 0);
    assert.equal(json.usage.total_tokens, json.usage.prompt_tokens + json.usage.completion_tokens);
  });

  it("the same prompt gives the same text (deterministic model without a fixed answer)", async () => {
    const body = { prompt: "Tell me something about lighthouses.", max_gen_len: 100 };
    const first = (await invoke(body)).json;
    const second = (await invoke(body)).json;
    assert.ok(first.generation.length > 0);
    assert.equal(second.generation, first.generation);
  });

  it("a body that is not JSON is a typed ValidationException (400)", async () => {
    const error = await captureError(() => runtime.send(new InvokeModelCommand({ modelId: modelArn, contentType: "application/json", body: "not json" })));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
  });
});

describe("InvokeModelWithResponseStream", () => {
  it("BedrockCompletion chunks concatenate to the InvokeModel text; the last carries invocation metrics", STREAM_TIMEOUT, async () => {
    const reference = (await invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 64 })).json;
    const { response, chunks, error } = await invokeStream({ prompt: CAPITAL_PROMPT, max_gen_len: 64 });
    assert.equal(error, undefined, `stream failed: ${error?.name}: ${error?.message}`);
    assert.equal(response.contentType, "application/json");
    assert.ok(chunks.length >= 1);
    assert.equal(chunks.map((c) => c.generation).join(""), reference.generation);

    const last = chunks.at(-1);
    assert.ok(chunks.slice(0, -1).every((c) => !(METRICS in c)), "only the last chunk carries the invocation metrics");
    assert.equal(last.stop_reason, "stop");
    const metrics = last[METRICS];
    assert.ok(metrics, "the last chunk has amazon-bedrock-invocationMetrics");
    assert.equal(metrics.inputTokenCount, reference.prompt_token_count);
    assert.equal(metrics.outputTokenCount, reference.generation_token_count);
    assert.ok(Number.isInteger(metrics.invocationLatency) && metrics.invocationLatency >= 0);
    assert.ok(Number.isInteger(metrics.firstByteLatency) && metrics.firstByteLatency >= 0);
  });

  it("OpenAI chat chunks carry delta.content; the last has usage and metrics", STREAM_TIMEOUT, async () => {
    const { chunks, error } = await invokeStream({ messages: [{ role: "user", content: CAPITAL_PROMPT }], max_tokens: 64 });
    assert.equal(error, undefined, `stream failed: ${error?.name}: ${error?.message}`);
    assert.equal(chunks.map((c) => c.choices[0].delta.content ?? "").join(""), CAPITAL_ANSWER);
    const last = chunks.at(-1);
    assert.equal(last.choices[0].finish_reason, "stop");
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
    assert.equal(last[METRICS].outputTokenCount, last.usage.completion_tokens);
  });

  it("a mid-stream fault (streamFaultAfterChunks) surfaces as a typed ModelStreamErrorException after those chunks", STREAM_TIMEOUT, async () => {
    try {
      await endpoint.patchKnobs({ bedrock: { streamFaultAfterChunks: 2, streamFaultRate: 1, streamFaultType: "modelStreamErrorException" } });
      const { response, chunks, error } = await invokeStream({ prompt: CAPITAL_PROMPT, max_gen_len: 64 });
      assert.equal(response.$metadata.httpStatusCode, 200, "the fault comes after the stream started");
      assert.equal(chunks.length, 2);
      assert.ok(error instanceof ModelStreamErrorException, `expected ModelStreamErrorException, got ${error?.name}: ${error?.message}`);
      assert.ok(error.message.length > 0);
      assert.ok(Number.isInteger(error.originalStatusCode) && error.originalStatusCode >= 100 && error.originalStatusCode <= 599);
      assert.equal(typeof error.originalMessage, "string");
    } finally {
      await endpoint.patchKnobs({ bedrock: { streamFaultAfterChunks: null } });
    }
  });

  it("a mid-stream throttlingException frame surfaces as a typed ThrottlingException", STREAM_TIMEOUT, async () => {
    try {
      await endpoint.patchKnobs({ bedrock: { streamFaultAfterChunks: 1, streamFaultRate: 1, streamFaultType: "throttlingException" } });
      const { chunks, error } = await invokeStream({ prompt: CAPITAL_PROMPT, max_gen_len: 64 });
      assert.equal(chunks.length, 1);
      assert.ok(error instanceof ThrottlingException, `expected ThrottlingException, got ${error?.name}: ${error?.message}`);
    } finally {
      await endpoint.patchKnobs({ bedrock: { streamFaultAfterChunks: null, streamFaultType: "modelStreamErrorException" } });
    }
  });
});

describe("stop sequences", () => {
  it("stop is honoured: the text ends before the stop sequence (BedrockCompletion and OpenAI chat)", async () => {
    const completion = (await invoke({ prompt: STOP_PROMPT, max_gen_len: 400, stop: [STOP] })).json;
    assert.equal(completion.generation, "First answer.");
    assert.equal(completion.stop_reason, "stop");

    const chat = (await invoke({ messages: [{ role: "user", content: STOP_PROMPT }], max_tokens: 400, stop: [STOP] })).json;
    assert.equal(chat.choices[0].message.content, "First answer.");
  });

  it("stop is honoured while streaming", STREAM_TIMEOUT, async () => {
    const { chunks, error } = await invokeStream({ prompt: STOP_PROMPT, max_gen_len: 400, stop: [STOP] });
    assert.equal(error, undefined);
    assert.equal(chunks.map((c) => c.generation).join(""), "First answer.");
  });

  it("with bedrock.ignoreStop the text runs past the stop sequence (the field report's bug)", STREAM_TIMEOUT, async () => {
    try {
      await endpoint.patchKnobs({ bedrock: { ignoreStop: true } });
      const { json } = await invoke({ prompt: STOP_PROMPT, max_gen_len: 400, stop: [STOP] });
      assert.ok(json.generation.startsWith(STOP_ANSWER), json.generation.slice(0, 80));
      assert.ok(json.generation.length > STOP_ANSWER.length, "the model keeps talking after the stop sequence");

      const streamed = await invokeStream({ prompt: STOP_PROMPT, max_gen_len: 400, stop: [STOP] });
      assert.equal(streamed.chunks.map((c) => c.generation).join(""), json.generation);
    } finally {
      await endpoint.patchKnobs({ bedrock: { ignoreStop: false } });
    }
    const honoured = (await invoke({ prompt: STOP_PROMPT, max_gen_len: 400, stop: [STOP] })).json;
    assert.equal(honoured.generation, "First answer.");
  });
});

describe("errors are typed SDK exceptions", () => {
  const unknownArn = () => `arn:aws:bedrock:${endpoint.info.region}:111122223333:imported-model/zzzzzzzzzzzz`;

  it("an unknown imported-model ARN is ResourceNotFoundException (404), streaming or not", async () => {
    const error = await captureError(() => invoke({ prompt: "hi", max_gen_len: 5 }, runtime, unknownArn()));
    assert.ok(error instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 404);

    const streamError = await captureError(() => invokeStream({ prompt: "hi", max_gen_len: 5 }, unknownArn()));
    assert.ok(streamError instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${streamError.name}: ${streamError.message}`);
  });

  it("a model name instead of its ARN is a ValidationException (400)", async () => {
    const error = await captureError(() => invoke({ prompt: "hi", max_gen_len: 5 }, runtime, "conf-runtime"));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
  });

  it("a model still warming up answers ModelNotReadyException (429)", async () => {
    await endpoint.patchKnobs({ bedrock: { modelNotReadyAfterImportMs: 600_000 } });
    let job;
    try {
      job = await importModel(endpoint, { prefix: "cold-model", jobName: "conf-cold-job", modelName: "conf-cold", files: tinyLlamaFiles() });
      const error = await captureError(() => invoke({ prompt: "hi", max_gen_len: 5 }, runtime, job.importedModelArn));
      assert.ok(error instanceof ModelNotReadyException, `expected ModelNotReadyException, got ${error.name}: ${error.message}`);
      assert.equal(error.$metadata.httpStatusCode, 429);
    } finally {
      await endpoint.patchKnobs({ bedrock: { modelNotReadyAfterImportMs: 0 } });
    }
  });

  it("injected throttling is a ThrottlingException (429)", async () => {
    try {
      await endpoint.patchKnobs({ throttleRate: { "bedrock:InvokeModel": 1 } });
      const error = await captureError(() => invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 5 }));
      assert.ok(error instanceof ThrottlingException, `expected ThrottlingException, got ${error.name}: ${error.message}`);
      assert.equal(error.$metadata.httpStatusCode, 429);
    } finally {
      await endpoint.patchKnobs({ throttleRate: {} });
    }
  });

  it("a wrong secret key is a 403 InvalidSignatureException", async () => {
    const wrong = endpoint.makeRuntime({ credentials: { accessKeyId: endpoint.info.accessKeyId, secretAccessKey: "not-the-right-secret" } });
    const error = await captureError(() => invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 5 }, wrong));
    assert.ok(error instanceof BedrockRuntimeServiceException, `expected a BedrockRuntimeServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "InvalidSignatureException");
    assert.equal(error.$metadata.httpStatusCode, 403);
  });
});

describe("client defaults", () => {
  it("the runtime client with its shipped default request handler (HTTP/2) can InvokeModel", { timeout: 15_000 }, async () => {
    // @aws-sdk/client-bedrock-runtime defaults to NodeHttp2Handler; on an http:// URL that is HTTP/2 with prior knowledge (h2c).
    // Kestrel serves h2c only on an HTTP/2-only port, which the endpoint announces as http2Url.
    assert.match(endpoint.info.http2Url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(endpoint.info.http2Url, endpoint.info.url);
    const client = endpoint.track(new BedrockRuntimeClient(endpoint.clientConfig({ endpoint: endpoint.info.http2Url })));
    let json;
    try {
      ({ json } = await invoke({ prompt: CAPITAL_PROMPT, max_gen_len: 64 }, client));
    } catch (error) {
      assert.fail(`InvokeModel through the default HTTP/2 handler failed (${error.code ?? error.name}: ${error.message}); `
        + "the endpoint must accept HTTP/2 prior-knowledge (h2c) connections on its http2Url for default JavaScript runtime clients");
    }
    assert.equal(json.generation, CAPITAL_ANSWER);
  });

  it("the default HTTP/2 runtime client streams InvokeModelWithResponseStream", { timeout: 15_000 }, async () => {
    const client = endpoint.track(new BedrockRuntimeClient(endpoint.clientConfig({ endpoint: endpoint.info.http2Url })));
    const response = await client.send(new InvokeModelWithResponseStreamCommand({
      modelId: modelArn, contentType: "application/json", accept: "application/json",
      body: JSON.stringify({ prompt: CAPITAL_PROMPT, max_gen_len: 64 }),
    }));
    let text = "";
    for await (const event of response.body) {
      text += JSON.parse(new TextDecoder().decode(event.chunk.bytes)).generation;
    }
    assert.equal(text, CAPITAL_ANSWER);
  });
});
