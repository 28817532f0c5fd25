// Service Quotas (JSON 1.1) as the AWS SDK for JavaScript v3 (@aws-sdk/client-service-quotas) drives the local endpoint.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  GetServiceQuotaCommand, IllegalArgumentException, ListAWSDefaultServiceQuotasCommand,
  ListRequestedServiceQuotaChangeHistoryByQuotaCommand, NoSuchResourceException, RequestServiceQuotaIncreaseCommand,
  ResourceAlreadyExistsException, ServiceQuotasClient, paginateListAWSDefaultServiceQuotas, paginateListServiceQuotas,
} from "@aws-sdk/client-service-quotas";
import { startEndpoint, captureError, sleep } from "./harness.mjs";

const STEP_MS = 400;
const MODELS = "Imported models per account";
const JOBS = "Concurrent model import jobs";

let endpoint;
let quotas;

before(async () => {
  endpoint = await startEndpoint();
  quotas = endpoint.track(new ServiceQuotasClient(endpoint.clientConfig({ requestHandler: { requestTimeout: 20_000 } })));
  await endpoint.patchKnobs({
    serviceQuotas: {
      importedModels: { defaultValue: 3, appliedValue: 5, adjustable: true },
      concurrentImportJobs: { defaultValue: 1, appliedValue: null, adjustable: false },
      requestStepMs: STEP_MS,
    },
  });
});

after(async () => {
  await endpoint?.stop();
});

async function all(paginator) {
  const items = [];
  for await (const page of paginator) items.push(...(page.Quotas ?? []));
  return items;
}

const byName = (list, name) => list.find((quota) => quota.QuotaName === name);

describe("ListServiceQuotas and ListAWSDefaultServiceQuotas", () => {
  it("page with MaxResults and give the applied and the default values", async () => {
    const applied = await all(paginateListServiceQuotas({ client: quotas, pageSize: 2 }, { ServiceCode: "bedrock" }));
    const defaults = await all(paginateListAWSDefaultServiceQuotas({ client: quotas, pageSize: 2 }, { ServiceCode: "bedrock" }));

    assert.ok(defaults.length > 2, "more than one page of defaults");
    assert.equal(byName(applied, MODELS).Value, 5);
    assert.equal(byName(defaults, MODELS).Value, 3);
    assert.equal(byName(defaults, JOBS).Value, 1);
    assert.equal(byName(defaults, JOBS).Adjustable, false);
    assert.equal(byName(applied, JOBS), undefined, "a quota without an applied value is left out of ListServiceQuotas");
    const models = byName(applied, MODELS);
    assert.match(models.QuotaCode, /^L-[0-9A-F]+$/);
    assert.equal(models.QuotaArn, `arn:aws:servicequotas:${endpoint.info.region}:123456789012:bedrock/${models.QuotaCode}`);
  });

  it("answer one page at a time with a NextToken the next call accepts", async () => {
    const first = await quotas.send(new ListAWSDefaultServiceQuotasCommand({ ServiceCode: "bedrock", MaxResults: 1 }));
    assert.equal(first.Quotas.length, 1);
    assert.ok(first.NextToken);
    const second = await quotas.send(new ListAWSDefaultServiceQuotasCommand({ ServiceCode: "bedrock", MaxResults: 1, NextToken: first.NextToken }));
    assert.notEqual(second.Quotas[0].QuotaCode, first.Quotas[0].QuotaCode);
  });
});

describe("RequestServiceQuotaIncrease and the history by quota", () => {
  it("records a request that moves PENDING → CASE_OPENED → APPROVED and then raises the applied value", async () => {
    const defaults = await all(paginateListAWSDefaultServiceQuotas({ client: quotas }, { ServiceCode: "bedrock" }));
    const code = byName(defaults, MODELS).QuotaCode;

    const { RequestedQuota: request } = await quotas.send(new RequestServiceQuotaIncreaseCommand({ ServiceCode: "bedrock", QuotaCode: code, DesiredValue: 12 }));
    assert.equal(request.Status, "PENDING");
    assert.equal(request.DesiredValue, 12);
    assert.equal(request.QuotaName, MODELS);
    assert.ok(request.Created instanceof Date, "Created is read as a timestamp");
    assert.equal(request.CaseId, undefined);

    const duplicate = await captureError(() => quotas.send(new RequestServiceQuotaIncreaseCommand({ ServiceCode: "bedrock", QuotaCode: code, DesiredValue: 13 })));
    assert.ok(duplicate instanceof ResourceAlreadyExistsException, `expected ResourceAlreadyExistsException, got ${duplicate.name}`);

    const statuses = new Set();
    let latest;
    for (let i = 0; i < 100 && latest?.Status !== "APPROVED"; i++) {
      const history = await quotas.send(new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({ ServiceCode: "bedrock", QuotaCode: code }));
      assert.equal(history.RequestedQuotas.length, 1);
      latest = history.RequestedQuotas[0];
      statuses.add(latest.Status);
      if (latest.Status === "CASE_OPENED") assert.ok(latest.CaseId, "an opened case has its id");
      await sleep(STEP_MS / 4);
    }
    assert.equal(latest.Id, request.Id);
    assert.deepEqual([...statuses].filter((s) => s !== "PENDING"), ["CASE_OPENED", "APPROVED"]);
    assert.ok(latest.LastUpdated >= latest.Created);

    const { Quota: raised } = await quotas.send(new GetServiceQuotaCommand({ ServiceCode: "bedrock", QuotaCode: code }));
    assert.equal(raised.Value, 12);

    const approvedOnly = await quotas.send(new ListRequestedServiceQuotaChangeHistoryByQuotaCommand({ ServiceCode: "bedrock", QuotaCode: code, Status: "PENDING" }));
    assert.deepEqual(approvedOnly.RequestedQuotas, []);
  });
});

describe("errors", () => {
  it("an unknown quota is NoSuchResourceException, a non-adjustable one IllegalArgumentException", async () => {
    const missing = await captureError(() => quotas.send(new GetServiceQuotaCommand({ ServiceCode: "bedrock", QuotaCode: "L-00000000" })));
    assert.ok(missing instanceof NoSuchResourceException, `expected NoSuchResourceException, got ${missing.name}`);
    assert.equal(missing.$metadata.httpStatusCode, 400);
    assert.match(missing.message, /L-00000000/);

    const defaults = await all(paginateListAWSDefaultServiceQuotas({ client: quotas }, { ServiceCode: "bedrock" }));
    const refused = await captureError(() => quotas.send(new RequestServiceQuotaIncreaseCommand({
      ServiceCode: "bedrock", QuotaCode: byName(defaults, JOBS).QuotaCode, DesiredValue: 5,
    })));
    assert.ok(refused instanceof IllegalArgumentException, `expected IllegalArgumentException, got ${refused.name}`);
    assert.match(refused.message, /not adjustable/);
  });
});
