// A tiny but well-formed Hugging Face Llama folder, generated in memory, and helpers to import it into the endpoint.
import { CreateBucketCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { CreateModelImportJobCommand, GetModelImportJobCommand } from "@aws-sdk/client-bedrock";
import { sleep } from "./harness.mjs";
import { patternBytes } from "./checksums.mjs";

export const ROLE_ARN = "arn:aws:iam::111122223333:role/BedrockImportConformance";
export const JOB_ARN_PATTERN = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-import-job\/[a-z0-9]{12}$/;
export const MODEL_ARN_PATTERN = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:imported-model\/[a-z0-9]{12}$/;

const HIDDEN = 8;
const VOCAB = 16;
const INTERMEDIATE = 16;

const CHAT_TEMPLATE = "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}</s>{% endfor %}"
  + "{% if add_generation_prompt %}<|assistant|>{% endif %}";

/** Builds a safetensors file: 8-byte little-endian header length, JSON header (space-padded to 8 bytes), raw tensor bytes. */
export function safetensors(tensors) {
  const header = {};
  const blobs = [];
  let offset = 0;
  for (const [name, shape] of tensors) {
    const length = shape.reduce((a, b) => a * b, 1) * 2; // BF16
    header[name] = { dtype: "BF16", shape, data_offsets: [offset, offset + length] };
    blobs.push(patternBytes(length, offset + 1));
    offset += length;
  }
  header.__metadata__ = { format: "pt" };
  let json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([size, json, ...blobs]);
}

function llamaTensors() {
  const layer = "model.layers.0";
  return [
    ["model.embed_tokens.weight", [VOCAB, HIDDEN]],
    [`${layer}.self_attn.q_proj.weight`, [HIDDEN, HIDDEN]],
    [`${layer}.self_attn.k_proj.weight`, [HIDDEN, HIDDEN]],
    [`${layer}.self_attn.v_proj.weight`, [HIDDEN, HIDDEN]],
    [`${layer}.self_attn.o_proj.weight`, [HIDDEN, HIDDEN]],
    [`${layer}.mlp.gate_proj.weight`, [INTERMEDIATE, HIDDEN]],
    [`${layer}.mlp.up_proj.weight`, [INTERMEDIATE, HIDDEN]],
    [`${layer}.mlp.down_proj.weight`, [HIDDEN, INTERMEDIATE]],
    [`${layer}.input_layernorm.weight`, [HIDDEN]],
    [`${layer}.post_attention_layernorm.weight`, [HIDDEN]],
    ["model.norm.weight", [HIDDEN]],
    ["lm_head.weight", [VOCAB, HIDDEN]],
  ];
}

/** The files of the tiny model: name → Buffer. Options: chatTemplate (default true), responses (responses.jsonl lines). */
export function tinyLlamaFiles({ chatTemplate = true, responses } = {}) {
  const config = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: HIDDEN,
    intermediate_size: INTERMEDIATE,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 2,
    vocab_size: VOCAB,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    hidden_act: "silu",
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: "bfloat16",
    transformers_version: "4.51.3",
  };
  const vocab = Object.fromEntries(["<unk>", "<s>", "</s>", ..."abcdefghijklm"].map((token, id) => [token, id]));
  const tokenizer = {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<unk>", special: true }, { id: 1, content: "<s>", special: true }, { id: 2, content: "</s>", special: true },
    ],
    model: { type: "BPE", vocab, merges: [] },
  };
  const tokenizerConfig = { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", model_max_length: 2048, tokenizer_class: "LlamaTokenizerFast" };
  if (chatTemplate) tokenizerConfig.chat_template = CHAT_TEMPLATE;

  const files = {
    "config.json": Buffer.from(JSON.stringify(config, null, 2)),
    "tokenizer.json": Buffer.from(JSON.stringify(tokenizer)),
    "tokenizer_config.json": Buffer.from(JSON.stringify(tokenizerConfig, null, 2)),
    "model.safetensors": safetensors(llamaTensors()),
  };
  if (responses) files["responses.jsonl"] = Buffer.from(responses.map((line) => JSON.stringify(line)).join("\n") + "\n");
  return files;
}

/** Number of weights in the tiny model (what customModelUnits is derived from). */
export const TINY_PARAMETER_COUNT = llamaTensors().reduce((sum, [, shape]) => sum + shape.reduce((a, b) => a * b, 1), 0);

export async function uploadFolder(s3, bucket, prefix, files) {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (error.name !== "BucketAlreadyOwnedByYou") throw error;
  }
  for (const [name, body] of Object.entries(files)) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${name}`, Body: body }));
  }
  return `s3://${bucket}/${prefix}/`;
}

/** Polls GetModelImportJob (by `identifier`) until the job leaves InProgress; returns the last answer. */
export async function waitForJob(bedrock, identifier, { timeoutMs = 20_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await bedrock.send(new GetModelImportJobCommand({ jobIdentifier: identifier }));
    if (job.status !== "InProgress") return job;
    if (Date.now() > deadline) throw new Error(`import job ${identifier} still InProgress after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** Uploads the files, starts the import job and waits until it is Completed; returns the final GetModelImportJob answer. */
export async function importModel(endpoint, { bucket = "conformance-models", prefix, jobName, modelName, files }) {
  const s3Uri = await uploadFolder(endpoint.s3, bucket, prefix, files);
  const { jobArn } = await endpoint.bedrock.send(new CreateModelImportJobCommand({
    jobName, importedModelName: modelName, roleArn: ROLE_ARN, modelDataSource: { s3DataSource: { s3Uri } },
  }));
  const job = await waitForJob(endpoint.bedrock, jobArn);
  if (job.status !== "Completed") throw new Error(`import of ${modelName} ended ${job.status}: ${job.failureMessage}`);
  return job;
}
