using System.Text;
using BedrockImport.Engine.EventStream;
using BedrockImport.LocalEndpoint.Auth;

namespace BedrockImport.Fuzz;

/// <summary>Writes the seeds that are easier to make than to copy: valid event-stream frames, safetensors files, signed
/// requests and signed aws-chunked bodies (signatures made with the fixed key the targets verify with). The committed
/// corpora under fuzz/corpora came from 'seeds' plus small files copied from the test fixtures.</summary>
public static class Seeds
{
    public static void Write(string root)
    {
        var eventStream = Folder(root, "eventstream");
        var chunk = EventStreamMessage.Event("chunk", Encoding.UTF8.GetBytes("{\"bytes\":\"eyJnZW5lcmF0aW9uIjoiSGkifQ==\"}"));
        var exception = EventStreamMessage.Exception("throttlingException", Encoding.UTF8.GetBytes("{\"message\":\"Too many requests\"}"));
        var allTypes = new EventStreamMessage(new[]
        {
            EventStreamHeader.String(":message-type", "event"), EventStreamHeader.Bool("b", true), EventStreamHeader.Bool("f", false),
            EventStreamHeader.Byte("y", -3), EventStreamHeader.Int16("s", 300), EventStreamHeader.Int32("i", 70000),
            EventStreamHeader.Int64("l", 1L << 40), EventStreamHeader.ByteArray("a", new byte[] { 1, 2, 3 }),
            EventStreamHeader.Timestamp("t", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            EventStreamHeader.Uuid("u", new Guid("0f8fad5b-d9cb-469f-a165-70867728950e")),
        }, Encoding.UTF8.GetBytes("payload"));
        // The first byte of an input is the piece size the target feeds the decoder (byte + 1).
        File.WriteAllBytes(Path.Combine(eventStream, "chunk-whole"), Prefix(255, EventStreamWriter.Encode(chunk)));
        File.WriteAllBytes(Path.Combine(eventStream, "chunk-then-exception-7-byte-reads"), Prefix(6, EventStreamWriter.Encode(chunk).Concat(EventStreamWriter.Encode(exception)).ToArray()));
        File.WriteAllBytes(Path.Combine(eventStream, "every-header-type"), Prefix(31, EventStreamWriter.Encode(allTypes)));

        var safetensors = Folder(root, "safetensors-header");
        var file = SafetensorsBytes("{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},\"b\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[16,22]}}", 22);
        File.WriteAllBytes(Path.Combine(safetensors, "two-tensors.safetensors"), file);
        File.WriteAllBytes(Path.Combine(safetensors, "f16-scalar.safetensors"), SafetensorsBytes("{\"w\":{\"dtype\":\"F16\",\"shape\":[],\"data_offsets\":[0,2]}}", 2));
        File.WriteAllBytes(Path.Combine(safetensors, "i64-and-empty.safetensors"), SafetensorsBytes("{\"n\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},\"e\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[8,8]}}", 8));
        var safetensorsFile = Folder(root, "safetensors-file");
        foreach (var seed in Directory.GetFiles(safetensors)) File.Copy(seed, Path.Combine(safetensorsFile, Path.GetFileName(seed)), overwrite: true);

        var package = Folder(root, "model-package");
        var separator = "\n--8<--\n";
        var config = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"torch_dtype\":\"float32\",\"hidden_size\":2,\"num_hidden_layers\":1,\"max_position_embeddings\":4096,\"vocab_size\":3}";
        var index = "{\"metadata\":{\"total_size\":22},\"weight_map\":{\"a\":\"model.safetensors\",\"b\":\"model.safetensors\"}}";
        var tokenizerConfig = "{\"bos_token\":\"<s>\",\"eos_token\":{\"content\":\"</s>\"},\"chat_template\":\"{% for m in messages %}{{ m['content'] }}{% endfor %}\"}";
        File.WriteAllBytes(Path.Combine(package, "llama-one-shard"),
            Encoding.UTF8.GetBytes(config + separator + index + separator + tokenizerConfig + separator).Concat(file).ToArray());
        File.WriteAllBytes(Path.Combine(package, "config-only"), Encoding.UTF8.GetBytes(config));

        var sigv4 = Folder(root, "sigv4");
        File.WriteAllBytes(Path.Combine(sigv4, "get-object-header-signed"), SignedRequest("GET", "/bucket/model/config.json", "", Array.Empty<byte>(), null));
        File.WriteAllBytes(Path.Combine(sigv4, "put-object-with-query"), SignedRequest("PUT", "/bucket/model/a%20b.bin", "?partNumber=1&uploadId=x", Encoding.UTF8.GetBytes("hello"), null));
        File.WriteAllBytes(Path.Combine(sigv4, "put-object-aws-chunked"), SignedRequest("PUT", "/bucket/model/c.bin", "", Array.Empty<byte>(), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"));
        File.WriteAllBytes(Path.Combine(sigv4, "presigned-get"), PresignedRequest("/bucket/model/config.json"));

        var chunked = Folder(root, "aws-chunked");
        File.WriteAllBytes(Path.Combine(chunked, "signed-two-chunks"), Prefix(1, SignedChunkedBody(EndpointTargets.SeedSignature)));
        File.WriteAllBytes(Path.Combine(chunked, "unsigned-with-trailer"), Prefix(0, Encoding.ASCII.GetBytes("5\r\nhello\r\n3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n")));
    }

    private static string Folder(string root, string name)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static byte[] Prefix(byte first, byte[] rest) => new[] { first }.Concat(rest).ToArray();

    private static byte[] SafetensorsBytes(string header, int dataLength)
    {
        var json = Encoding.UTF8.GetBytes(header);
        return BitConverter.GetBytes((long)json.Length).Concat(json).Concat(Enumerable.Range(0, dataLength).Select(i => (byte)i)).ToArray();
    }

    /// <summary>A request signed as the SDKs sign it: the canonical request is the verifier's own, signed with the fixed key.</summary>
    private static byte[] SignedRequest(string method, string path, string query, byte[] body, string? payloadHash)
    {
        payloadHash ??= SigV4.Hex(System.Security.Cryptography.SHA256.HashData(body));
        var scope = EndpointTargets.AmzDate[..8] + "/" + EndpointTargets.Region + "/s3/aws4_request";
        var head = $"{method} {path}{query} HTTP/1.1\r\nHost: 127.0.0.1:4566\r\nx-amz-date: {EndpointTargets.AmzDate}\r\nx-amz-content-sha256: {payloadHash}\r\n";
        string Authorization(string signature) => $"Authorization: AWS4-HMAC-SHA256 Credential={EndpointTargets.AccessKeyId}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}\r\n";
        var unsigned = Encoding.ASCII.GetBytes(head + Authorization(EndpointTargets.SeedSignature) + "\r\n").Concat(body).ToArray();
        var context = EndpointTargets.ToHttpContext(unsigned);
        var claim = SigV4Verifier.ParseClaim(context.Request, out _)!;
        var signature = Sign(SigV4Verifier.CanonicalRequest(context, claim, singleEncodedUri: false, payloadHash), scope);
        var signedBody = payloadHash.StartsWith("STREAMING-", StringComparison.Ordinal) ? SignedChunkedBody(signature) : body;
        return Encoding.ASCII.GetBytes(head + Authorization(signature) + "\r\n").Concat(signedBody).ToArray();
    }

    private static byte[] PresignedRequest(string path)
    {
        var scope = EndpointTargets.AmzDate[..8] + "/" + EndpointTargets.Region + "/s3/aws4_request";
        var query = "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + EndpointTargets.AccessKeyId + "%2F" + scope.Replace("/", "%2F")
                    + "&X-Amz-Date=" + EndpointTargets.AmzDate + "&X-Amz-Expires=900&X-Amz-SignedHeaders=host";
        string Text(string signature) => $"GET {path}{query}&X-Amz-Signature={signature} HTTP/1.1\r\nHost: 127.0.0.1:4566\r\n\r\n";
        var context = EndpointTargets.ToHttpContext(Encoding.ASCII.GetBytes(Text(EndpointTargets.SeedSignature)));
        var claim = SigV4Verifier.ParseClaim(context.Request, out _)!;
        return Encoding.ASCII.GetBytes(Text(Sign(SigV4Verifier.CanonicalRequest(context, claim, false, SigV4.UnsignedPayload), scope)));
    }

    private static string Sign(string canonicalRequest, string scope)
        => SigV4.Sign(SigV4.SigningKey(EndpointTargets.Secret, EndpointTargets.AmzDate[..8], EndpointTargets.Region, "s3"),
            SigV4.StringToSign(EndpointTargets.AmzDate, scope, canonicalRequest));

    /// <summary>Two data chunks and the final one, each signed over the previous signature (the request's, for the first).</summary>
    private static byte[] SignedChunkedBody(string requestSignature)
    {
        var signing = EndpointTargets.ChunkSigning();
        var previous = requestSignature;
        var output = new MemoryStream();
        foreach (var data in new[] { Encoding.ASCII.GetBytes("hello chunked "), Encoding.ASCII.GetBytes("world"), Array.Empty<byte>() })
        {
            var stringToSign = $"AWS4-HMAC-SHA256-PAYLOAD\n{signing.AmzDate}\n{signing.Scope}\n{previous}\n{SigV4.EmptySha256}\n{SigV4.Hex(System.Security.Cryptography.SHA256.HashData(data))}";
            previous = SigV4.Sign(signing.SigningKey, stringToSign);
            output.Write(Encoding.ASCII.GetBytes(data.Length.ToString("x") + ";chunk-signature=" + previous + "\r\n"));
            output.Write(data);
            output.Write("\r\n"u8);
        }
        return output.ToArray();
    }
}
