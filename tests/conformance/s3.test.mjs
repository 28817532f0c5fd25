// S3 as the AWS SDK for JavaScript v3 drives it: every answer below went through the SDK's own XML parsers.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  CopyObjectCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand,
  ListBucketsCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, NoSuchBucket, NoSuchKey, NoSuchUpload, NotFound,
  PutObjectCommand, S3ServiceException, UploadPartCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { startEndpoint, captureError } from "./harness.mjs";
import { crc32Base64, crc32cBase64, md5Hex, patternBytes, sha256Base64, sha256Hex } from "./checksums.mjs";

const MiB = 1024 * 1024;
const BUCKET = "conformance-s3";

let endpoint;
let s3;

before(async () => {
  endpoint = await startEndpoint();
  s3 = endpoint.s3;
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  await endpoint?.stop();
});

async function getBytes(params) {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, ...params }));
  const bytes = Buffer.from(await response.Body.transformToByteArray());
  return { response, bytes };
}

describe("buckets", () => {
  it("CreateBucket answers 200 with a Location, HeadBucket then finds the bucket", async () => {
    const created = await s3.send(new CreateBucketCommand({ Bucket: "conformance-created" }));
    assert.equal(created.$metadata.httpStatusCode, 200);
    assert.equal(created.Location, "/conformance-created");
    const head = await s3.send(new HeadBucketCommand({ Bucket: "conformance-created" }));
    assert.equal(head.$metadata.httpStatusCode, 200);
    assert.equal(head.BucketRegion, endpoint.info.region);
  });

  it("CreateBucket on a bucket you own is BucketAlreadyOwnedByYou (409); ListBuckets lists both buckets", async () => {
    const error = await captureError(() => s3.send(new CreateBucketCommand({ Bucket: BUCKET })));
    assert.ok(error instanceof S3ServiceException, `expected an S3ServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "BucketAlreadyOwnedByYou");
    assert.equal(error.$metadata.httpStatusCode, 409);

    const listed = await s3.send(new ListBucketsCommand({}));
    const names = listed.Buckets.map((b) => b.Name);
    assert.ok(names.includes(BUCKET), names.join(","));
    assert.ok(listed.Buckets.every((b) => b.CreationDate instanceof Date));
  });

  it("HeadBucket on a missing bucket is a typed NotFound (404)", async () => {
    const error = await captureError(() => s3.send(new HeadBucketCommand({ Bucket: "conformance-missing" })));
    assert.ok(error instanceof NotFound, `expected NotFound, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 404);
  });
});

describe("PutObject / GetObject / HeadObject", () => {
  it("a plain PutObject round-trips body, content type, metadata and the MD5 ETag", async () => {
    const body = Buffer.from("hello, local endpoint\n");
    const put = await s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: "plain/hello.txt", Body: body, ContentType: "text/plain", Metadata: { purpose: "conformance" },
    }));
    assert.equal(put.ETag, `"${md5Hex(body)}"`);

    const { response, bytes } = await getBytes({ Key: "plain/hello.txt" });
    assert.deepEqual(bytes, body);
    assert.equal(response.ContentLength, body.length);
    assert.equal(response.ContentType, "text/plain");
    assert.equal(response.ETag, put.ETag);
    assert.deepEqual(response.Metadata, { purpose: "conformance" });
    assert.ok(response.LastModified instanceof Date && !Number.isNaN(response.LastModified.getTime()));
  });

  it("the SDK's default flexible checksum (CRC32) is accepted and echoed", async () => {
    const body = patternBytes(70_000, 7);
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "checksum/default.bin", Body: body }));
    assert.equal(put.ChecksumCRC32, crc32Base64(body), "PutObject must echo the CRC32 the SDK sent by default");
    assert.equal(put.ETag, `"${md5Hex(body)}"`);
  });

  for (const [algorithm, reference] of [["CRC32", crc32Base64], ["CRC32C", crc32cBase64], ["SHA256", sha256Base64]]) {
    it(`ChecksumAlgorithm ${algorithm}: PutObject echoes it, GetObject returns it and the SDK validates it`, async () => {
      const body = patternBytes(100_003, algorithm.length);
      const key = `checksum/${algorithm.toLowerCase()}.bin`;
      const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ChecksumAlgorithm: algorithm }));
      assert.equal(put[`Checksum${algorithm}`], reference(body));

      const { response, bytes } = await getBytes({ Key: key, ChecksumMode: "ENABLED" });
      assert.deepEqual(bytes, body);
      assert.equal(response[`Checksum${algorithm}`], reference(body));

      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: "ENABLED" }));
      assert.equal(head[`Checksum${algorithm}`], reference(body));
    });
  }

  it("a streamed body (aws-chunked with a CRC32C trailer) is stored byte-exact", async () => {
    const body = patternBytes(300_000, 11);
    const put = await s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: "checksum/streamed.bin", Body: Readable.from([body.subarray(0, 100_000), body.subarray(100_000)]),
      ContentLength: body.length, ChecksumAlgorithm: "CRC32C",
    }));
    assert.equal(put.ChecksumCRC32C, crc32cBase64(body));
    const { bytes } = await getBytes({ Key: "checksum/streamed.bin" });
    assert.equal(sha256Hex(bytes), sha256Hex(body));
  });

  it("a wrong x-amz-checksum-crc32 is rejected with BadDigest and nothing is stored", async () => {
    const body = Buffer.from("the checksum below does not match this body");
    const error = await captureError(() => s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: "checksum/bad.bin", Body: body, ChecksumCRC32: crc32Base64(Buffer.from("something else")),
    })));
    assert.ok(error instanceof S3ServiceException, `expected an S3ServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "BadDigest");
    assert.equal(error.$metadata.httpStatusCode, 400);
    const missing = await captureError(() => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "checksum/bad.bin" })));
    assert.equal(missing.$metadata.httpStatusCode, 404);
  });

  it("GetObject with a Range answers 206 with exactly those bytes and a Content-Range", async () => {
    const body = patternBytes(4096, 3);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "range/data.bin", Body: body }));

    const { response, bytes } = await getBytes({ Key: "range/data.bin", Range: "bytes=100-1123" });
    assert.equal(response.$metadata.httpStatusCode, 206);
    assert.equal(response.ContentRange, `bytes 100-1123/${body.length}`);
    assert.equal(response.ContentLength, 1024);
    assert.deepEqual(bytes, body.subarray(100, 1124));

    const suffix = await getBytes({ Key: "range/data.bin", Range: "bytes=-10" });
    assert.equal(suffix.response.$metadata.httpStatusCode, 206);
    assert.deepEqual(suffix.bytes, body.subarray(body.length - 10));
  });

  it("HeadObject reports length, ETag, type and last-modified without a body", async () => {
    const body = Buffer.from('{"a":1}');
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "head/x.json", Body: body, ContentType: "application/json" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "head/x.json" }));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ETag, put.ETag);
    assert.equal(head.ContentType, "application/json");
    assert.ok(head.LastModified instanceof Date);
  });

  it("CopyObject copies bytes and metadata; the CopyObjectResult parses", async () => {
    const body = patternBytes(2048, 9);
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "copy/source.bin", Body: body, Metadata: { origin: "source" } }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: BUCKET, Key: "copy/target.bin", CopySource: `${BUCKET}/copy/source.bin` }));
    assert.equal(copied.CopyObjectResult.ETag, put.ETag);
    assert.ok(copied.CopyObjectResult.LastModified instanceof Date);
    const { response, bytes } = await getBytes({ Key: "copy/target.bin" });
    assert.deepEqual(bytes, body);
    assert.deepEqual(response.Metadata, { origin: "source" });
  });

  it("conditional GetObject: a matching If-None-Match answers 304, a wrong If-Match is PreconditionFailed (412)", async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "conditional/x.txt", Body: "conditional" }));
    const notModified = await captureError(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "conditional/x.txt", IfNoneMatch: put.ETag })));
    // S3 answers 304 without a body, so the SDK has no error code to name it by; the status is what counts.
    assert.equal(notModified.$metadata.httpStatusCode, 304);

    const failed = await captureError(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "conditional/x.txt", IfMatch: '"0123456789abcdef0123456789abcdef"' })));
    assert.equal(failed.$metadata.httpStatusCode, 412);
    assert.equal(failed.name, "PreconditionFailed");

    const { bytes } = await getBytes({ Key: "conditional/x.txt", IfMatch: put.ETag });
    assert.equal(bytes.toString(), "conditional");
  });

  it("keys with spaces, unicode and reserved characters round-trip", async () => {
    const key = "odd keys/ä ö+ü=&?#%.txt";
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "odd" }));
    const { bytes } = await getBytes({ Key: key });
    assert.equal(bytes.toString(), "odd");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "odd keys/" }));
    assert.deepEqual(listed.Contents.map((o) => o.Key), [key]);
  });
});

describe("ListObjectsV2", () => {
  const keys = [];
  for (let i = 0; i < 7; i++) keys.push(`list/flat/file-${String(i).padStart(2, "0")}.txt`);
  keys.push("list/sub-a/one.txt", "list/sub-a/two.txt", "list/sub-b/three.txt", "list/top.txt");

  before(async () => {
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
  });

  it("Prefix returns exactly the keys under it, sorted, with sizes", async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "list/sub-a/" }));
    assert.deepEqual(listed.Contents.map((o) => o.Key), ["list/sub-a/one.txt", "list/sub-a/two.txt"]);
    assert.deepEqual(listed.Contents.map((o) => o.Size), ["list/sub-a/one.txt".length, "list/sub-a/two.txt".length]);
    assert.equal(listed.KeyCount, 2);
    assert.equal(listed.IsTruncated, false);
    assert.equal(listed.Prefix, "list/sub-a/");
  });

  it("Delimiter groups sub-folders into CommonPrefixes", async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "list/", Delimiter: "/" }));
    assert.deepEqual(listed.CommonPrefixes.map((p) => p.Prefix), ["list/flat/", "list/sub-a/", "list/sub-b/"]);
    assert.deepEqual(listed.Contents.map((o) => o.Key), ["list/top.txt"]);
    assert.equal(listed.Delimiter, "/");
    assert.equal(listed.KeyCount, 4);
  });

  it("MaxKeys + ContinuationToken pages through every key once, in order", async () => {
    const seen = [];
    let token;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "list/", MaxKeys: 3, ContinuationToken: token }));
      pages++;
      assert.ok(page.Contents.length <= 3);
      assert.equal(page.MaxKeys, 3);
      assert.equal(page.KeyCount, page.Contents.length);
      seen.push(...page.Contents.map((o) => o.Key));
      assert.equal(page.IsTruncated, page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
      assert.ok(pages <= keys.length, "paging does not terminate");
    } while (token);
    assert.deepEqual(seen, [...keys].sort());
    assert.equal(pages, Math.ceil(keys.length / 3));
  });
});

describe("DeleteObject / DeleteObjects", () => {
  it("DeleteObject answers 204 and the key is gone", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "delete/one.txt", Body: "x" }));
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: "delete/one.txt" }));
    assert.equal(deleted.$metadata.httpStatusCode, 204);
    const error = await captureError(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "delete/one.txt" })));
    assert.ok(error instanceof NoSuchKey, `expected NoSuchKey, got ${error.name}`);
  });

  it("DeleteObjects removes several keys and reports each (missing keys count as deleted)", async () => {
    for (const key of ["delete/many-1", "delete/many-2"]) await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const result = await s3.send(new DeleteObjectsCommand({
      Bucket: BUCKET,
      Delete: { Objects: [{ Key: "delete/many-1" }, { Key: "delete/many-2" }, { Key: "delete/never-existed" }] },
    }));
    assert.deepEqual(result.Deleted.map((d) => d.Key).sort(), ["delete/many-1", "delete/many-2", "delete/never-existed"]);
    assert.equal(result.Errors, undefined);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "delete/" }));
    assert.equal(listed.KeyCount, 0);
    assert.equal(listed.Contents, undefined);
  });

  it("DeleteObjects with Quiet answers no Deleted entries", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "delete/quiet", Body: "q" }));
    const result = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: "delete/quiet" }], Quiet: true } }));
    assert.equal(result.Deleted, undefined);
    assert.equal(result.Errors, undefined);
    const head = await captureError(() => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "delete/quiet" })));
    assert.equal(head.$metadata.httpStatusCode, 404);
  });
});

describe("multipart uploads", () => {
  it("Create / UploadPart x2 / ListParts / Complete gives a '-2' ETag and the concatenated bytes", async () => {
    const key = "multipart/two-parts.bin";
    const first = patternBytes(5 * MiB, 21);
    const second = patternBytes(300_000, 22);
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: "application/octet-stream" }));
    assert.equal(created.Bucket, BUCKET);
    assert.equal(created.Key, key);
    assert.ok(created.UploadId);

    const part1 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId, PartNumber: 1, Body: first }));
    const part2 = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId, PartNumber: 2, Body: second }));
    assert.equal(part1.ETag, `"${md5Hex(first)}"`);
    assert.equal(part2.ETag, `"${md5Hex(second)}"`);

    const parts = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId }));
    assert.deepEqual(parts.Parts.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, first.length, part1.ETag], [2, second.length, part2.ETag]]);
    assert.equal(parts.UploadId, created.UploadId);
    assert.equal(parts.IsTruncated, false);

    const completed = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: key, UploadId: created.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part1.ETag }, { PartNumber: 2, ETag: part2.ETag }] },
    }));
    assert.match(completed.ETag, /^"[0-9a-f]{32}-2"$/);
    assert.equal(completed.Key, key);
    assert.equal(completed.Bucket, BUCKET);

    const { response, bytes } = await getBytes({ Key: key });
    assert.equal(response.ContentLength, first.length + second.length);
    assert.equal(response.ETag, completed.ETag);
    assert.equal(sha256Hex(bytes), sha256Hex(Buffer.concat([first, second])));
  });

  it("AbortMultipartUpload removes the upload: ListMultipartUploads is empty and ListParts is NoSuchUpload", async () => {
    const key = "multipart/aborted.bin";
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId, PartNumber: 1, Body: patternBytes(1024, 5) }));

    const during = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: "multipart/aborted" }));
    assert.deepEqual(during.Uploads.map((u) => [u.Key, u.UploadId]), [[key, created.UploadId]]);

    const aborted = await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId }));
    assert.equal(aborted.$metadata.httpStatusCode, 204);

    const afterwards = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: "multipart/aborted" }));
    assert.equal(afterwards.Uploads, undefined);
    const error = await captureError(() => s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId })));
    assert.ok(error instanceof NoSuchUpload, `expected NoSuchUpload, got ${error.name}: ${error.message}`);
    const head = await captureError(() => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
    assert.equal(head.$metadata.httpStatusCode, 404);
  });

  it("lib-storage Upload of ~12 MiB goes multipart and reads back byte-identical", async () => {
    const key = "multipart/lib-storage.bin";
    const body = patternBytes(12 * MiB + 12345, 33);
    const upload = new Upload({ client: s3, params: { Bucket: BUCKET, Key: key, Body: body }, partSize: 5 * MiB, queueSize: 2 });
    const parts = [];
    upload.on("httpUploadProgress", (progress) => { if (progress.part) parts.push(progress.part); });
    const result = await upload.done();
    assert.match(result.ETag, /^"[0-9a-f]{32}-3"$/, "12 MiB in 5 MiB parts is a three-part upload");
    assert.deepEqual([...new Set(parts)].sort(), [1, 2, 3]);

    const { response, bytes } = await getBytes({ Key: key });
    assert.equal(response.ContentLength, body.length);
    assert.equal(sha256Hex(bytes), sha256Hex(body));
  });
});

describe("errors are typed SDK exceptions", () => {
  it("GetObject on a missing key is NoSuchKey (404) with the request id", async () => {
    const error = await captureError(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "no/such/key" })));
    assert.ok(error instanceof NoSuchKey, `expected NoSuchKey, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 404);
    assert.ok(error.$metadata.requestId);
  });

  it("an operation on a missing bucket is NoSuchBucket (404)", async () => {
    const error = await captureError(() => s3.send(new ListObjectsV2Command({ Bucket: "conformance-no-such-bucket" })));
    assert.ok(error instanceof NoSuchBucket, `expected NoSuchBucket, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, 404);
  });

  it("a wrong secret key is SignatureDoesNotMatch (403)", async () => {
    const wrong = endpoint.makeS3({ credentials: { accessKeyId: endpoint.info.accessKeyId, secretAccessKey: "not-the-right-secret" } });
    const error = await captureError(() => wrong.send(new ListObjectsV2Command({ Bucket: BUCKET })));
    assert.ok(error instanceof S3ServiceException, `expected an S3ServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "SignatureDoesNotMatch");
    assert.equal(error.$metadata.httpStatusCode, 403);
    assert.ok(!error.message.includes(endpoint.info.secretAccessKey), "the error must not reveal the secret");
  });

  it("injected faults parse: throttling is SlowDown (503), an internal error is InternalError (500), scoped to the operation", async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "faults/x", Body: "x" }));
    try {
      await endpoint.patchKnobs({ throttleRate: { "s3:GetObject": 1 } });
      const slow = await captureError(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "faults/x" })));
      assert.ok(slow instanceof S3ServiceException, `expected an S3ServiceException, got ${slow.name}: ${slow.message}`);
      assert.equal(slow.name, "SlowDown");
      assert.equal(slow.$metadata.httpStatusCode, 503);

      await endpoint.patchKnobs({ throttleRate: {}, internalErrorRate: { "s3:GetObject": 1 } });
      const internal = await captureError(() => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "faults/x" })));
      assert.ok(internal instanceof S3ServiceException, `expected an S3ServiceException, got ${internal.name}: ${internal.message}`);
      assert.equal(internal.name, "InternalError");
      assert.equal(internal.$metadata.httpStatusCode, 500);

      const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "faults/x" }));
      assert.equal(head.ContentLength, 1);
    } finally {
      await endpoint.patchKnobs({ throttleRate: {}, internalErrorRate: {} });
    }
    const { bytes } = await getBytes({ Key: "faults/x" });
    assert.equal(bytes.toString(), "x");
  });

  it("a request signed for another region is AuthorizationHeaderMalformed (400) naming the endpoint's region", async () => {
    const elsewhere = endpoint.makeS3({ region: "us-west-2" });
    const error = await captureError(() => elsewhere.send(new PutObjectCommand({ Bucket: BUCKET, Key: "wrong-region", Body: "x" })));
    assert.ok(error instanceof S3ServiceException, `expected an S3ServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "AuthorizationHeaderMalformed");
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.equal(error.message, `The authorization header is malformed; the region 'us-west-2' is wrong; expecting '${endpoint.info.region}'`);
    assert.equal(error.Region, endpoint.info.region);
    const head = await captureError(() => s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: "wrong-region" })));
    assert.equal(head.$metadata.httpStatusCode, 404);
  });

  it("an unknown access key is InvalidAccessKeyId (403)", async () => {
    const unknown = endpoint.makeS3({ credentials: { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: endpoint.info.secretAccessKey } });
    const error = await captureError(() => unknown.send(new PutObjectCommand({ Bucket: BUCKET, Key: "denied", Body: "x" })));
    assert.ok(error instanceof S3ServiceException, `expected an S3ServiceException, got ${error.name}: ${error.message}`);
    assert.equal(error.name, "InvalidAccessKeyId");
    assert.equal(error.$metadata.httpStatusCode, 403);
  });
});
