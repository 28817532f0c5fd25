// The Custom Model Import control plane as the AWS SDK for JavaScript v3 (@aws-sdk/client-bedrock) drives it.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  BedrockServiceException, ConflictException, CreateModelImportJobCommand, DeleteImportedModelCommand,
  GetImportedModelCommand, GetModelImportJobCommand, InternalServerException, ListImportedModelsCommand,
  ListModelImportJobsCommand, ResourceNotFoundException, ThrottlingException, ValidationException,
  paginateListImportedModels, paginateListModelImportJobs,
} from "@aws-sdk/client-bedrock";
import { startEndpoint, captureError } from "./harness.mjs";
import {
  JOB_ARN_PATTERN, MODEL_ARN_PATTERN, ROLE_ARN, tinyLlamaFiles, uploadFolder, waitForJob,
} from "./tiny-model.mjs";

const BUCKET = "conformance-models";
const FAST_IMPORT_MS = 300;

let endpoint;
let bedrock;
const uris = {};
const created = new Map(); // jobName → jobArn, every job this file creates

before(async () => {
  endpoint = await startEndpoint();
  bedrock = endpoint.bedrock;
  const knobs = await endpoint.patchKnobs({ bedrock: { importDurationMs: FAST_IMPORT_MS } });
  assert.equal(knobs.bedrock.importDurationMs, FAST_IMPORT_MS, "PUT /_admin/knobs must answer the knobs it now holds");
  assert.equal((await endpoint.getKnobs()).bedrock.importDurationMs, FAST_IMPORT_MS, "GET /_admin/knobs must return the knobs just set");

  uris.instruct = await uploadFolder(endpoint.s3, BUCKET, "tiny-instruct", tinyLlamaFiles());
  uris.base = await uploadFolder(endpoint.s3, BUCKET, "tiny-base", tinyLlamaFiles({ chatTemplate: false }));
  const broken = tinyLlamaFiles();
  delete broken["config.json"];
  uris.broken = await uploadFolder(endpoint.s3, BUCKET, "broken-no-config", broken);
});

after(async () => {
  await endpoint?.stop();
});

async function createJob(jobName, importedModelName, s3Uri, extra = {}) {
  const response = await bedrock.send(new CreateModelImportJobCommand({
    jobName, importedModelName, roleArn: ROLE_ARN, modelDataSource: { s3DataSource: { s3Uri } }, ...extra,
  }));
  created.set(jobName, response.jobArn);
  return response;
}

const withoutMetadata = ({ $metadata, ...rest }) => rest;

describe("CreateModelImportJob", () => {
  it("answers 201 with a job ARN, and the same clientRequestToken returns the same job", async () => {
    const first = await createJob("conf-instruct-job", "conf-instruct", uris.instruct, { clientRequestToken: "conformance-token-1" });
    assert.equal(first.$metadata.httpStatusCode, 201);
    assert.match(first.jobArn, JOB_ARN_PATTERN);
    assert.ok(first.jobArn.includes(`:${endpoint.info.region}:`), "the ARN names the endpoint's region");

    const again = await bedrock.send(new CreateModelImportJobCommand({
      jobName: "conf-instruct-job", importedModelName: "conf-instruct", roleArn: ROLE_ARN,
      modelDataSource: { s3DataSource: { s3Uri: uris.instruct } }, clientRequestToken: "conformance-token-1",
    }));
    assert.equal(again.$metadata.httpStatusCode, 201);
    assert.equal(again.jobArn, first.jobArn);
  });

  it("while the import runs the job is InProgress without endTime or importedModelArn, and the model does not exist yet", async () => {
    await endpoint.patchKnobs({ bedrock: { importDurationMs: 600_000 } });
    let jobArn;
    try {
      ({ jobArn } = await createJob("conf-slow-job", "conf-slow", uris.instruct));
    } finally {
      await endpoint.patchKnobs({ bedrock: { importDurationMs: FAST_IMPORT_MS } });
    }
    const job = await bedrock.send(new GetModelImportJobCommand({ jobIdentifier: jobArn }));
    assert.equal(job.status, "InProgress");
    assert.equal(job.endTime, undefined);
    assert.equal(job.importedModelArn, undefined);
    assert.equal(job.failureMessage, undefined);
    assert.ok(job.creationTime instanceof Date);

    const error = await captureError(() => bedrock.send(new GetImportedModelCommand({ modelIdentifier: "conf-slow" })));
    assert.ok(error instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${error.name}: ${error.message}`);
  });

  it("a jobName outside the model's pattern is a typed ValidationException (400)", async () => {
    const error = await captureError(() => bedrock.send(new CreateModelImportJobCommand({
      jobName: "bad job name!", importedModelName: "conf-bad", roleArn: ROLE_ARN, modelDataSource: { s3DataSource: { s3Uri: uris.instruct } },
    })));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.message, /jobName/);
  });

  it("an s3Uri that is not s3://bucket/prefix is a ValidationException", async () => {
    const error = await captureError(() => bedrock.send(new CreateModelImportJobCommand({
      jobName: "conf-bad-uri", importedModelName: "conf-bad-uri", roleArn: ROLE_ARN,
      modelDataSource: { s3DataSource: { s3Uri: "https://example.com/model/" } },
    })));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
    assert.match(error.message, /s3Uri/);
  });

  it("reusing a jobName without the same clientRequestToken is a ConflictException", async () => {
    const error = await captureError(() => bedrock.send(new CreateModelImportJobCommand({
      jobName: "conf-instruct-job", importedModelName: "conf-other-name", roleArn: ROLE_ARN,
      modelDataSource: { s3DataSource: { s3Uri: uris.instruct } }, clientRequestToken: "a-different-token",
    })));
    assert.ok(error instanceof ConflictException, `expected ConflictException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
  });
});

describe("GetModelImportJob", () => {
  it("by ARN (polled) reaches Completed, and by name answers the same job", async () => {
    const jobArn = created.get("conf-instruct-job");
    const byArn = await waitForJob(bedrock, jobArn);
    assert.equal(byArn.status, "Completed");
    assert.equal(byArn.jobArn, jobArn);
    assert.equal(byArn.jobName, "conf-instruct-job");
    assert.equal(byArn.importedModelName, "conf-instruct");
    assert.match(byArn.importedModelArn, MODEL_ARN_PATTERN);
    assert.equal(byArn.roleArn, ROLE_ARN);
    assert.deepEqual(byArn.modelDataSource, { s3DataSource: { s3Uri: uris.instruct } });
    assert.equal(byArn.failureMessage, undefined);
    for (const field of ["creationTime", "lastModifiedTime", "endTime"]) {
      assert.ok(byArn[field] instanceof Date && !Number.isNaN(byArn[field].getTime()), `${field} parses as a Date`);
    }
    assert.ok(byArn.endTime >= byArn.creationTime);

    const byName = await bedrock.send(new GetModelImportJobCommand({ jobIdentifier: "conf-instruct-job" }));
    assert.deepEqual(withoutMetadata(byName), withoutMetadata(byArn));
  });

  it("a model folder without config.json ends Failed with a failureMessage and no model", async () => {
    const { jobArn } = await createJob("conf-broken-job", "conf-broken", uris.broken);
    const job = await waitForJob(bedrock, jobArn);
    assert.equal(job.status, "Failed");
    assert.equal(typeof job.failureMessage, "string");
    assert.ok(job.failureMessage.length > 0 && job.failureMessage.length <= 2048);
    assert.match(job.failureMessage, /config\.json/);
    assert.ok(job.endTime instanceof Date);
    assert.equal(job.importedModelArn, undefined);

    const error = await captureError(() => bedrock.send(new GetImportedModelCommand({ modelIdentifier: "conf-broken" })));
    assert.ok(error instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${error.name}`);
  });

  it("an unknown job is a typed ResourceNotFoundException (404)", async () => {
    const error = await captureError(() => bedrock.send(new GetModelImportJobCommand({ jobIdentifier: "conf-no-such-job" })));
    assert.ok(error instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 404);
    assert.ok(error.$metadata.requestId, "x-amzn-RequestId is parsed");
  });
});

describe("ListModelImportJobs", () => {
  const summariesOf = async (input) => (await bedrock.send(new ListModelImportJobsCommand(input))).modelImportJobSummaries ?? [];

  it("lists every job with the summary's required members", async () => {
    const all = await summariesOf({ maxResults: 1000 });
    assert.deepEqual(new Set(all.map((s) => s.jobArn)), new Set(created.values()));
    for (const summary of all) {
      assert.match(summary.jobArn, JOB_ARN_PATTERN);
      assert.equal(typeof summary.jobName, "string");
      assert.ok(["InProgress", "Completed", "Failed"].includes(summary.status));
      assert.ok(summary.creationTime instanceof Date);
    }
  });

  it("statusEquals filters by status", async () => {
    const byStatus = async (status) => (await summariesOf({ statusEquals: status })).map((s) => s.jobName).sort();
    assert.deepEqual(await byStatus("Completed"), ["conf-instruct-job"]);
    assert.deepEqual(await byStatus("Failed"), ["conf-broken-job"]);
    assert.deepEqual(await byStatus("InProgress"), ["conf-slow-job"]);
  });

  it("nameContains filters by job name", async () => {
    const names = (await summariesOf({ nameContains: "broken" })).map((s) => s.jobName);
    assert.deepEqual(names, ["conf-broken-job"]);
    assert.deepEqual(await summariesOf({ nameContains: "no-job-has-this" }), []);
  });

  it("maxResults=1 with nextToken pages through every job exactly once, in the unpaged order", async () => {
    const unpaged = (await summariesOf({})).map((s) => s.jobArn);
    const paged = [];
    let nextToken;
    do {
      const page = await bedrock.send(new ListModelImportJobsCommand({ maxResults: 1, nextToken }));
      assert.equal(page.modelImportJobSummaries.length, 1);
      paged.push(page.modelImportJobSummaries[0].jobArn);
      nextToken = page.nextToken;
      assert.ok(paged.length <= unpaged.length, "paging does not terminate");
    } while (nextToken);
    assert.deepEqual(paged, unpaged);
    assert.equal(unpaged.length, created.size);

    const viaPaginator = [];
    for await (const page of paginateListModelImportJobs({ client: bedrock, pageSize: 1 }, {})) {
      viaPaginator.push(...page.modelImportJobSummaries.map((s) => s.jobArn));
    }
    assert.deepEqual(viaPaginator, unpaged);
  });

  it("an invalid statusEquals is a ValidationException", async () => {
    const error = await captureError(() => bedrock.send(new ListModelImportJobsCommand({ statusEquals: "Stopped" })));
    assert.ok(error instanceof ValidationException, `expected ValidationException, got ${error.name}: ${error.message}`);
  });
});

describe("imported models", () => {
  let instruct;

  before(async () => {
    instruct = await waitForJob(bedrock, created.get("conf-instruct-job"));
  });

  it("GetImportedModel by name and by ARN describes the model", async () => {
    const byName = await bedrock.send(new GetImportedModelCommand({ modelIdentifier: "conf-instruct" }));
    assert.equal(byName.$metadata.httpStatusCode, 200);
    assert.equal(byName.modelArn, instruct.importedModelArn);
    assert.equal(byName.modelName, "conf-instruct");
    assert.equal(byName.jobArn, instruct.jobArn);
    assert.equal(byName.jobName, "conf-instruct-job");
    assert.deepEqual(byName.modelDataSource, { s3DataSource: { s3Uri: uris.instruct } });
    assert.ok(byName.creationTime instanceof Date);
    assert.equal(byName.modelArchitecture, "llama");
    assert.equal(byName.instructSupported, true, "tokenizer_config.json has a chat_template");
    assert.ok(byName.customModelUnits, "customModelUnits is present");

    const byArn = await bedrock.send(new GetImportedModelCommand({ modelIdentifier: instruct.importedModelArn }));
    assert.deepEqual(withoutMetadata(byArn), withoutMetadata(byName));
  });

  it("customModelUnits has a positive integer per copy and a version matching the model's pattern v\\d+.\\d+", async () => {
    const { customModelUnits } = await bedrock.send(new GetImportedModelCommand({ modelIdentifier: "conf-instruct" }));
    assert.ok(Number.isInteger(customModelUnits?.customModelUnitsPerModelCopy) && customModelUnits.customModelUnitsPerModelCopy >= 1);
    assert.match(customModelUnits.customModelUnitsVersion, /^v\d+.\d+$/);
  });

  it("a model without a chat template imports with instructSupported false", async () => {
    const { jobArn } = await createJob("conf-base-job", "conf-base", uris.base);
    const job = await waitForJob(bedrock, jobArn);
    assert.equal(job.status, "Completed", job.failureMessage);
    const model = await bedrock.send(new GetImportedModelCommand({ modelIdentifier: "conf-base" }));
    assert.equal(model.instructSupported, false);
    assert.equal(model.modelArchitecture, "llama");
  });

  it("ListImportedModels lists completed models only, with summary members; nameContains filters", async () => {
    const listed = await bedrock.send(new ListImportedModelsCommand({}));
    const names = listed.modelSummaries.map((m) => m.modelName).sort();
    assert.deepEqual(names, ["conf-base", "conf-instruct"]);
    const summary = listed.modelSummaries.find((m) => m.modelName === "conf-instruct");
    assert.equal(summary.modelArn, instruct.importedModelArn);
    assert.ok(summary.creationTime instanceof Date);
    assert.equal(summary.instructSupported, true);
    assert.equal(summary.modelArchitecture, "llama");

    const filtered = await bedrock.send(new ListImportedModelsCommand({ nameContains: "instruct" }));
    assert.deepEqual(filtered.modelSummaries.map((m) => m.modelName), ["conf-instruct"]);

    const paged = [];
    for await (const page of paginateListImportedModels({ client: bedrock, pageSize: 1 }, {})) {
      assert.equal(page.modelSummaries.length, 1);
      paged.push(page.modelSummaries[0].modelName);
    }
    assert.deepEqual(paged, listed.modelSummaries.map((m) => m.modelName));
  });

  it("DeleteImportedModel removes it: GetImportedModel is then a ResourceNotFoundException (404)", async () => {
    const deleted = await bedrock.send(new DeleteImportedModelCommand({ modelIdentifier: "conf-base" }));
    assert.equal(deleted.$metadata.httpStatusCode, 200);

    const error = await captureError(() => bedrock.send(new GetImportedModelCommand({ modelIdentifier: "conf-base" })));
    assert.ok(error instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 404);
    assert.ok(error.message.length > 0);

    const listed = await bedrock.send(new ListImportedModelsCommand({}));
    assert.deepEqual(listed.modelSummaries.map((m) => m.modelName), ["conf-instruct"]);
    const again = await captureError(() => bedrock.send(new DeleteImportedModelCommand({ modelIdentifier: "conf-base" })));
    assert.ok(again instanceof ResourceNotFoundException, `expected ResourceNotFoundException, got ${again.name}`);
  });
});

describe("errors are typed SDK exceptions", () => {
  it("a wrong secret key is a 403 InvalidSignatureException, not a parse failure", async () => {
    const wrong = endpoint.makeBedrock({ credentials: { accessKeyId: endpoint.info.accessKeyId, secretAccessKey: "not-the-right-secret" } });
    const error = await captureError(() => wrong.send(new ListImportedModelsCommand({})));
    assert.ok(error instanceof BedrockServiceException, `expected a BedrockServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "InvalidSignatureException");
    assert.equal(error.$metadata.httpStatusCode, 403);
    assert.match(error.message, /signature/i);
  });

  it("a request signed for another region is a 403 InvalidSignatureException", async () => {
    const elsewhere = endpoint.makeBedrock({ region: "us-west-2" });
    const error = await captureError(() => elsewhere.send(new ListImportedModelsCommand({})));
    assert.ok(error instanceof BedrockServiceException, `expected a BedrockServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "InvalidSignatureException");
    assert.equal(error.$metadata.httpStatusCode, 403);
    assert.match(error.message, /^Credential should be scoped to a valid region, not 'us-west-2'/);
  });

  it("an unknown access key is a 403 UnrecognizedClientException", async () => {
    const unknown = endpoint.makeBedrock({ credentials: { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "whatever" } });
    const error = await captureError(() => unknown.send(new GetModelImportJobCommand({ jobIdentifier: "conf-instruct-job" })));
    assert.ok(error instanceof BedrockServiceException, `expected a BedrockServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "UnrecognizedClientException");
    assert.equal(error.$metadata.httpStatusCode, 403);
  });

  it("injected throttling and internal errors surface as ThrottlingException (429) and InternalServerException (500)", async () => {
    try {
      await endpoint.patchKnobs({ throttleRate: { "bedrock:ListImportedModels": 1 } });
      const throttled = await captureError(() => bedrock.send(new ListImportedModelsCommand({})));
      assert.ok(throttled instanceof ThrottlingException, `expected ThrottlingException, got ${throttled.name}: ${throttled.message}`);
      assert.equal(throttled.$metadata.httpStatusCode, 429);

      await endpoint.patchKnobs({ throttleRate: {}, internalErrorRate: { "bedrock:ListImportedModels": 1 } });
      const failed = await captureError(() => bedrock.send(new ListImportedModelsCommand({})));
      assert.ok(failed instanceof InternalServerException, `expected InternalServerException, got ${failed.name}: ${failed.message}`);
      assert.equal(failed.$metadata.httpStatusCode, 500);
      assert.equal(failed.$fault, "server");

      // Scoped to the operation: the others still answer.
      const other = await bedrock.send(new ListModelImportJobsCommand({ maxResults: 1 }));
      assert.equal(other.$metadata.httpStatusCode, 200);
    } finally {
      await endpoint.patchKnobs({ throttleRate: {}, internalErrorRate: {} });
    }
    const healthy = await bedrock.send(new ListImportedModelsCommand({}));
    assert.equal(healthy.$metadata.httpStatusCode, 200);
  });
});
