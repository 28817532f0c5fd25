// Starts one BedrockImport local endpoint per test file and hands out AWS SDK for JavaScript v3 clients bound to it.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
// The SDK's own HTTP/1.1 handler (a dependency of every client, pinned by package-lock.json).
import { NodeHttpHandler } from "@smithy/node-http-handler";

// The SDK warns once per process that Node 20 support ends; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const here = path.dirname(fileURLToPath(import.meta.url));
const STARTUP_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 20_000;

export function endpointDllPath() {
  return process.env.BEDROCKIMPORT_ENDPOINT_DLL
    || path.resolve(here, "../../out/BedrockImport/endpoint/BedrockImport.LocalEndpoint.dll");
}

/** Starts `dotnet <dll> --port 0 --data <tmp>` and resolves with its announcement line once it listens. */
async function launch(dll, dataDirectory) {
  const child = spawn("dotnet", [dll, "--port", "0", "--data", dataDirectory], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (text) => { stderr = (stderr + text).slice(-8000); });

  const info = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => fail(new Error(`the endpoint did not announce itself within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    function fail(error) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      error.message += `\nstdout: ${stdout}\nstderr: ${stderr}`;
      reject(error);
    }
    child.on("error", fail);
    child.on("exit", (code, signal) => fail(new Error(`the endpoint exited before listening (code ${code}, signal ${signal})`)));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", function onData(text) {
      stdout += text;
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      clearTimeout(timer);
      child.stdout.removeListener("data", onData);
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      try {
        resolve(JSON.parse(stdout.slice(0, newline)));
      } catch (error) {
        fail(new Error(`the endpoint's first stdout line is not JSON: ${error.message}`));
      }
    });
  });
  child.stdout.resume();
  return { child, info, stderr: () => stderr };
}

/**
 * Starts an endpoint and returns { info, s3, bedrock, runtime, clientConfig(overrides), setKnobs, getKnobs, stop }.
 * Clients never retry (maxAttempts 1), so a failing answer shows up as it is.
 */
export async function startEndpoint() {
  const dll = endpointDllPath();
  if (!existsSync(dll)) {
    throw new Error(`The endpoint assembly ${dll} does not exist. Build it (./build.ps1 Build, or dotnet publish `
      + "src/BedrockImport.LocalEndpoint -c Release -o DIR) and point BEDROCKIMPORT_ENDPOINT_DLL at DIR/BedrockImport.LocalEndpoint.dll.");
  }
  const dataDirectory = await mkdtemp(path.join(tmpdir(), "bedrockimport-conformance-"));
  let launched;
  try {
    launched = await launch(dll, dataDirectory);
  } catch (error) {
    await rm(dataDirectory, { recursive: true, force: true });
    throw error;
  }
  const { child, info } = launched;
  const clients = [];

  function clientConfig(overrides = {}) {
    return {
      endpoint: info.url,
      region: info.region,
      credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey },
      maxAttempts: 1,
      ...overrides,
    };
  }

  function track(client) {
    clients.push(client);
    return client;
  }

  // S3 and Bedrock keep their shipped handler (HTTP/1.1); an options object only adds a timeout so nothing can hang.
  const handlerOptions = () => ({ requestTimeout: REQUEST_TIMEOUT_MS });
  // Checksum behaviour pinned to the SDK's defaults so AWS_* settings of the machine cannot change what is tested.
  const makeS3 = (overrides = {}) => track(new S3Client(clientConfig({
    forcePathStyle: true, requestChecksumCalculation: "WHEN_SUPPORTED", responseChecksumValidation: "WHEN_SUPPORTED",
    requestHandler: handlerOptions(), ...overrides,
  })));
  const makeBedrock = (overrides = {}) => track(new BedrockClient(clientConfig({ requestHandler: handlerOptions(), ...overrides })));
  // The runtime client ships an HTTP/2 handler, which needs h2c on a plain http:// endpoint; the endpoint serves h2c only on
  // its second port (info.http2Url). Here the SDK's HTTP/1.1 handler is chosen explicitly for info.url
  // (runtime.test.mjs "client defaults" checks the shipped default against info.http2Url on its own).
  const makeRuntime = (overrides = {}) => track(new BedrockRuntimeClient(clientConfig({
    requestHandler: new NodeHttpHandler(handlerOptions()), ...overrides,
  })));

  async function admin(method, route, body) {
    const response = await fetch(`${info.url}/_admin/${route}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /_admin/${route} answered ${response.status}: ${text}`);
    return text.length ? JSON.parse(text) : undefined;
  }

  async function stop() {
    for (const client of clients) client.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDirectory, { recursive: true, force: true });
  }

  return {
    info,
    dataDirectory,
    s3: makeS3(),
    bedrock: makeBedrock(),
    runtime: makeRuntime(),
    makeS3,
    makeBedrock,
    makeRuntime,
    clientConfig,
    track,
    /** Replaces the whole knobs object (PUT /_admin/knobs) and returns what the endpoint now holds. */
    setKnobs: (knobs) => admin("PUT", "knobs", knobs),
    getKnobs: () => admin("GET", "knobs"),
    /** GET the current knobs, merge `changes` into them (see mergeKnobs), PUT the result. */
    async patchKnobs(changes) {
      const merged = mergeKnobs(await admin("GET", "knobs"), changes);
      return admin("PUT", "knobs", merged);
    },
    stderr: launched.stderr,
    stop,
  };
}

// Top-level members are replaced, except the "bedrock" section whose members are replaced one by one
// (so { throttleRate: {} } clears every throttle scope, and { bedrock: { ignoreStop: true } } keeps importDurationMs).
function mergeKnobs(current, changes) {
  const merged = { ...current, ...changes };
  if (changes.bedrock) merged.bedrock = { ...current.bedrock, ...changes.bedrock };
  return merged;
}

/** Runs `action` and returns the error it throws; fails when it does not throw. */
export async function captureError(action) {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
