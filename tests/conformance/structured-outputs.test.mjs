// structured_outputs.choice through InvokeModelCommand, and a stand-in foundation model's answer book in the data folder
// through ConverseCommand, as @aws-sdk/client-bedrock-runtime drives them.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConverseCommand, InvokeModelCommand, InvokeModelWithResponseStreamCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { startEndpoint, captureError } from "./harness.mjs";
import { importModel, tinyLlamaFiles } from "./tiny-model.mjs";

const QUESTION = "質問: 会社の最高責任者を何というか？\n選択肢: 部長, 社長, 運転士\n<answer>";
const CHOICES = ["部長", "社長", "運転士"];

let endpoint;
let modelArn;

before(async () => {
  endpoint = await startEndpoint();
  await endpoint.patchKnobs({ bedrock: { importDurationMs: 200 } });
  const files = tinyLlamaFiles({ responses: [{ contains: "会社の最高責任者を何というか？", response: "<answer>社長</answer>" }] });
  const job = await importModel(endpoint, { prefix: "choice-model", jobName: "conf-choice-job", modelName: "conf-choice", files });
  modelArn = job.importedModelArn;
});

after(async () => {
  await endpoint?.stop();
});

async function invoke(body) {
  const response = await endpoint.runtime.send(new InvokeModelCommand({
    modelId: modelArn, contentType: "application/json", accept: "application/json", body: JSON.stringify(body),
  }));
  return JSON.parse(new TextDecoder().decode(response.body));
}

describe("structured_outputs.choice", () => {
  it("an OpenAI completion answers exactly the book's choice, without tags, finish_reason stop", async () => {
    const json = await invoke({ prompt: QUESTION, max_tokens: 20, stop: ["\n\n"], structured_outputs: { choice: CHOICES } });
    assert.equal(json.choices[0].text, "社長");
    assert.equal(json.choices[0].finish_reason, "stop");
  });

  it("an OpenAI chat answer off the book is one of the choices, the same one twice, and streams the same", { timeout: 20_000 }, async () => {
    const body = { messages: [{ role: "user", content: "Pick one colour." }], max_tokens: 10, structured_outputs: { choice: ["red", "green", "blue"] } };
    const first = (await invoke(body)).choices[0].message.content;
    assert.ok(["red", "green", "blue"].includes(first), first);
    assert.equal((await invoke(body)).choices[0].message.content, first);

    const response = await endpoint.runtime.send(new InvokeModelWithResponseStreamCommand({
      modelId: modelArn, contentType: "application/json", accept: "application/json", body: JSON.stringify(body),
    }));
    let streamed = "";
    for await (const event of response.body) streamed += JSON.parse(new TextDecoder().decode(event.chunk.bytes)).choices[0].delta.content;
    assert.equal(streamed, first);
  });

  it("an unsupported type is a typed ValidationException (400) naming it", async () => {
    const error = await captureError(() => invoke({ prompt: "p", max_tokens: 5, structured_outputs: { regex: "a|b" } }));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.message, /'regex' is not supported by the local endpoint/);
  });
});

describe("a stand-in foundation model's book in the data folder", () => {
  it("Converse on the Claude stand-in answers from DATA/foundation-models/<id>/responses.jsonl", async () => {
    const folder = path.join(endpoint.dataDirectory, "foundation-models", "anthropic.claude-3-sonnet-20240229-v1_0");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "responses.jsonl"), JSON.stringify({ contains: "planted question", response: "The planted answer." }) + "\n");
    const response = await endpoint.runtime.send(new ConverseCommand({
      modelId: "anthropic.claude-3-sonnet-20240229-v1:0",
      messages: [{ role: "user", content: [{ text: "Here is the planted question." }] }],
    }));
    assert.equal(response.output.message.content[0].text, "The planted answer.");
  });
});
