// Reference checksums computed independently of the endpoint, base64 as S3 sends them in x-amz-checksum-*.
import { createHash } from "node:crypto";
import zlib from "node:zlib";

function crcTable(polynomial) {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ polynomial : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

const CRC32_TABLE = crcTable(0xedb88320);
const CRC32C_TABLE = crcTable(0x82f63b78);

function crc(table, bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function uint32Base64(value) {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer.toString("base64");
}

export const crc32Base64 = (bytes) => uint32Base64(typeof zlib.crc32 === "function" ? zlib.crc32(bytes) : crc(CRC32_TABLE, bytes));
export const crc32cBase64 = (bytes) => uint32Base64(crc(CRC32C_TABLE, bytes));
export const sha256Base64 = (bytes) => createHash("sha256").update(bytes).digest("base64");
export const sha256Hex = (bytes) => createHash("sha256").update(bytes).digest("hex");
export const md5Hex = (bytes) => createHash("md5").update(bytes).digest("hex");

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function patternBytes(length, seed = 1) {
  const bytes = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}
