// Tools over Converse / ConverseStream as @aws-sdk/client-bedrock-runtime sends them: toolConfig out, toolUse blocks
// (and streamed toolUse starts and input fragments) back from the local endpoint, a toolResult turn, and an imported
// model whose chat template receives the tools.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { BedrockRuntimeClient, ConverseCommand, ConverseStreamCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { startEndpoint, captureError } from "./harness.mjs";
import { importModel, tinyLlamaFiles } from "./tiny-model.mjs";

const CLAUDE = "anthropic.claude-3-sonnet-20240229-v1:0";
const STREAM_TIMEOUT = { timeout: 20_000 };
const TOOLS_SEEN = "The template listed the weather tool.";
const weather = {
  toolSpec: {
    name: "get_weather",
    description: "The current weather of a city",
    inputSchema: {
      json: {
        type: "object",
        properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
        required: ["city", "unit"],
      },
    },
  },
};
const user = (text) => ({ role: "user", content: [{ text }] });

let endpoint;
let runtime;
let modelArn;

before(async () => {
  endpoint = await startEndpoint();
  runtime = endpoint.track(new BedrockRuntimeClient(endpoint.clientConfig({ endpoint: endpoint.info.http2Url })));
  await endpoint.patchKnobs({ bedrock: { importDurationMs: 200 } });
  const files = tinyLlamaFiles({
    // Only the Llama 3.1 template's tool section (tojson, indent 4) writes this line.
    responses: [{ contains: '        "name": "get_weather",', response: TOOLS_SEEN }],
  });
  files["chat_template.jinja"] = readFileSync(new URL("../BedrockImport.Engine.Tests/Invocation/ToolTemplates/llama31.jinja", import.meta.url));
  const job = await importModel(endpoint, { prefix: "tools-model", jobName: "conf-tools-job", modelName: "conf-tools", files });
  modelArn = job.importedModelArn;
});

after(async () => {
  await endpoint?.stop();
});

describe("Converse tools", () => {
  it("sends toolConfig and reads a toolUse block back", async () => {
    const response = await runtime.send(new ConverseCommand({
      modelId: CLAUDE,
      messages: [user("What is the weather in Paris?")],
      toolConfig: { tools: [weather], toolChoice: { any: {} } },
    }));
    assert.equal(response.stopReason, "tool_use");
    assert.equal(response.output.message.content.length, 1);
    const { toolUse } = response.output.message.content[0];
    assert.equal(toolUse.name, "get_weather");
    assert.match(toolUse.toolUseId, /^tooluse_[0-9a-f]{24}$/);
    // The SDK parses the input document into an object.
    assert.deepEqual(toolUse.input, { city: "Paris", unit: "celsius" });
  });

  it("answers a toolResult turn with text", async () => {
    const first = await runtime.send(new ConverseCommand({
      modelId: CLAUDE, messages: [user("Weather in Paris?")], toolConfig: { tools: [weather], toolChoice: { tool: { name: "get_weather" } } },
    }));
    const call = first.output.message.content[0].toolUse;
    const second = await runtime.send(new ConverseCommand({
      modelId: CLAUDE,
      messages: [
        user("Weather in Paris?"),
        first.output.message,
        { role: "user", content: [{ toolResult: { toolUseId: call.toolUseId, content: [{ json: { sky: "sunny" } }, { text: "What is the capital of France?" }] } }] },
      ],
      toolConfig: { tools: [weather] },
    }));
    assert.equal(second.stopReason, "end_turn");
    assert.equal(second.output.message.content[0].text, "The capital of France is Paris.");
  });

  it("streams a tool call as contentBlockStart.toolUse and input fragments", STREAM_TIMEOUT, async () => {
    const response = await runtime.send(new ConverseStreamCommand({
      modelId: CLAUDE, messages: [user("Weather in Tokyo?")], toolConfig: { tools: [weather], toolChoice: { any: {} } },
    }));
    const events = [];
    for await (const event of response.stream) events.push(event);
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    assert.equal(start.start.toolUse.name, "get_weather");
    const fragments = events.filter((e) => e.contentBlockDelta).map((e) => e.contentBlockDelta.delta.toolUse.input);
    assert.ok(fragments.length > 1);
    assert.deepEqual(JSON.parse(fragments.join("")), { city: "Tokyo", unit: "celsius" });
    assert.equal(events.find((e) => e.messageStop).messageStop.stopReason, "tool_use");
  });

  it("refuses toolUse blocks without toolConfig as the service does", async () => {
    const error = await captureError(() => runtime.send(new ConverseCommand({
      modelId: CLAUDE,
      messages: [
        user("Weather?"),
        { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } }] },
        { role: "user", content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: "sunny" }] } }] },
      ],
    })));
    assert.ok(error instanceof ValidationException, String(error));
    assert.equal(error.message, "The toolConfig field must be defined when using toolUse and toolResult content blocks.");
  });

  it("passes toolConfig's tools to an imported model's chat template", async () => {
    const withTools = await runtime.send(new ConverseCommand({ modelId: modelArn, messages: [user("Anything.")], toolConfig: { tools: [weather] } }));
    assert.equal(withTools.output.message.content[0].text, TOOLS_SEEN);
    const without = await runtime.send(new ConverseCommand({ modelId: modelArn, messages: [user("Anything.")] }));
    assert.notEqual(without.output.message.content[0].text, TOOLS_SEEN);
  });
});
