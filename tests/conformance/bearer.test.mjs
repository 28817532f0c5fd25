// Bedrock API keys: the endpoint's issued key (bearerToken in its start-up line) drives the control plane and the
// runtime through the JavaScript SDK's own bearer support, with no AWS keys at all: the `token` client option, and
// AWS_BEARER_TOKEN_BEDROCK, which the SDK turns into authSchemePreference ["httpBearerAuth"] for signing name "bedrock".
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { BedrockClient, ListImportedModelsCommand } from "@aws-sdk/client-bedrock";
import {
  AccessDeniedException, BedrockRuntimeClient, ConverseCommand, InvokeModelCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { startEndpoint, captureError } from "./harness.mjs";
import { importModel, tinyLlamaFiles } from "./tiny-model.mjs";

const PROMPT = "What is the capital of France?";
const ANSWER = "The capital of France is Paris.";

let endpoint;
let modelArn;

before(async () => {
  endpoint = await startEndpoint();
  await endpoint.patchKnobs({ bedrock: { importDurationMs: 200 } });
  // The import itself goes through S3 (SigV4 only) with the endpoint's test keys.
  const files = tinyLlamaFiles({ responses: [{ contains: PROMPT, response: ANSWER }] });
  const job = await importModel(endpoint, { prefix: "bearer-model", jobName: "conf-bearer-job", modelName: "conf-bearer", files });
  modelArn = job.importedModelArn;
});

after(async () => {
  await endpoint?.stop();
});

// A credentials provider that fails: a request that fell back to SigV4 would fail with this, not succeed.
const noAwsKeys = async () => { throw new Error("this client has no AWS keys; it must not sign with SigV4"); };

function bearerConfig(extra = {}) {
  return {
    endpoint: endpoint.info.url,
    region: endpoint.info.region,
    credentials: noAwsKeys,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ requestTimeout: 20_000 }),
    ...extra,
  };
}

/** The `token` option; the SDK lists SigV4 first, so bearer is chosen by authSchemePreference as the SDK documents. */
const withToken = (token) => bearerConfig({ token: { token }, authSchemePreference: ["httpBearerAuth"] });

async function exercise(bedrock, runtime) {
  const listed = await bedrock.send(new ListImportedModelsCommand({}));
  assert.ok(listed.modelSummaries.some((m) => m.modelArn === modelArn), "the imported model is listed");

  const invoked = await runtime.send(new InvokeModelCommand({
    modelId: modelArn, contentType: "application/json", accept: "application/json",
    body: JSON.stringify({ prompt: PROMPT, max_gen_len: 64 }),
  }));
  assert.equal(JSON.parse(new TextDecoder().decode(invoked.body)).generation, ANSWER);

  const conversed = await runtime.send(new ConverseCommand({
    modelId: modelArn, messages: [{ role: "user", content: [{ text: PROMPT }] }], inferenceConfig: { maxTokens: 64 },
  }));
  assert.equal(conversed.output.message.content.map((block) => block.text).join(""), ANSWER);
  assert.ok(conversed.usage.inputTokens > 0 && conversed.usage.outputTokens > 0);
}

describe("Bedrock API key (bearer token)", () => {
  it("the issued key is shaped like a long-term Bedrock API key", () => {
    const key = endpoint.info.bearerToken;
    assert.ok(key.startsWith("ABSK"), "ABSK prefix");
    assert.match(Buffer.from(key.slice(4), "base64").toString("utf8"), /^BedrockAPIKey-[a-z0-9]{4}-at-\d{12}:/);
  });

  it("the token option drives ListImportedModels, InvokeModel and Converse with no AWS keys", async () => {
    const config = withToken(endpoint.info.bearerToken);
    await exercise(endpoint.track(new BedrockClient(config)), endpoint.track(new BedrockRuntimeClient(config)));
  });

  it("AWS_BEARER_TOKEN_BEDROCK alone does the same", async () => {
    const previous = process.env.AWS_BEARER_TOKEN_BEDROCK;
    process.env.AWS_BEARER_TOKEN_BEDROCK = endpoint.info.bearerToken;
    try {
      await exercise(endpoint.track(new BedrockClient(bearerConfig())), endpoint.track(new BedrockRuntimeClient(bearerConfig())));
    } finally {
      if (previous === undefined) delete process.env.AWS_BEARER_TOKEN_BEDROCK;
      else process.env.AWS_BEARER_TOKEN_BEDROCK = previous;
    }
  });

  it("a wrong key gets Bedrock's 403 AccessDeniedException on both hosts", async () => {
    const wrong = "ABSK" + Buffer.from("BedrockAPIKey-abcd-at-123456789012:not-the-issued-secret").toString("base64");
    const config = withToken(wrong);
    const runtimeError = await captureError(() => endpoint.track(new BedrockRuntimeClient(config)).send(new ConverseCommand({
      modelId: modelArn, messages: [{ role: "user", content: [{ text: PROMPT }] }],
    })));
    assert.ok(runtimeError instanceof AccessDeniedException, `expected AccessDeniedException, got ${runtimeError.name}: ${runtimeError.message}`);
    assert.equal(runtimeError.$metadata.httpStatusCode, 403);
    assert.equal(runtimeError.message, "Authentication failed: Please make sure your API Key is valid.");

    const controlError = await captureError(() => endpoint.track(new BedrockClient(config)).send(new ListImportedModelsCommand({})));
    assert.equal(controlError.name, "AccessDeniedException");
    assert.equal(controlError.$metadata.httpStatusCode, 403);

    const unprefixed = await captureError(() => endpoint.track(new BedrockClient(withToken("not-a-bedrock-key"))).send(new ListImportedModelsCommand({})));
    assert.equal(unprefixed.name, "AccessDeniedException");
    assert.equal(unprefixed.message, "Invalid API Key format: Must start with pre-defined prefix");
  });
});
