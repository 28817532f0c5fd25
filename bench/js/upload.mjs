// B3 with @aws-sdk/lib-storage: every file of a folder uploaded by Upload with its defaults (5 MiB parts, queueSize 4),
// one file after another, as a script would do it.
//   node upload.mjs ENDPOINT.json '{"folder":"/tmp/model","bucket":"bench-js","prefix":"model/"}'
import { createReadStream, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { S3Client, CreateBucketCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { readArguments, clientConfig, cpuMs, emit } from "./common.mjs";

const { endpoint, options } = readArguments();
const { folder, bucket, prefix = "" } = options;
const client = new S3Client({ ...clientConfig(endpoint), forcePathStyle: true });

function* files(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

try {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
} catch (error) {
  if (error.name !== "BucketAlreadyOwnedByYou") throw error;
}

const cpuBefore = cpuMs();
const started = performance.now();
let bytes = 0;
let count = 0;
for (const file of files(folder)) {
  const key = prefix + path.relative(folder, file).split(path.sep).join("/");
  await new Upload({ client, params: { Bucket: bucket, Key: key, Body: createReadStream(file) } }).done();
  bytes += statSync(file).size;
  count++;
}
const seconds = (performance.now() - started) / 1000;
emit({ files: count, bytes, seconds, cpuMs: cpuMs() - cpuBefore });
client.destroy();
