using System.Net;
using System.Text;
using BedrockImport.Engine.EventStream;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Wire;
using BedrockImport.Inference.Model;
using BedrockImport.Inference.Tokenization;
using BedrockImport.LocalEndpoint.Auth;

namespace BedrockImport.Fuzz;

/// <summary>A parser under fuzz: what it does with one input, and which exceptions are its documented answer to bad input.
/// Every other exception (NullReference, IndexOutOfRange, InvalidCast, OutOfMemory, ...) escapes Execute and is a finding.</summary>
public sealed class FuzzTarget
{
    private readonly Action<byte[]> _run;
    private readonly Func<Exception, bool> _expected;

    public FuzzTarget(string name, string description, Action<byte[]> run, Func<Exception, bool> expected)
    {
        Name = name;
        Description = description;
        _run = run;
        _expected = expected;
    }

    public string Name { get; }
    public string Description { get; }

    public void Execute(byte[] input)
    {
        try
        {
            _run(input);
        }
        catch (Exception e) when (_expected(e))
        {
            EndpointTargets.Trace("expected " + e.GetType().Name + ": " + e.Message);
        }
    }
}

public static class FuzzTargets
{
    /// <summary>Loop iterations a fuzzed template may run: small, so that a slow input is a real hang, not a long loop.</summary>
    private const int TemplateLoopIterations = 10_000;

    public static IReadOnlyList<FuzzTarget> All { get; } = new[]
    {
        new FuzzTarget("eventstream", "Engine EventStreamDecoder: frames fed in fuzzer-chosen pieces",
            EventStreamTarget, e => e is EventStreamException),
        new FuzzTarget("safetensors-header", "Engine SafetensorsHeader.ReadAsync over a whole .safetensors file",
            SafetensorsHeaderTarget, e => e is SafetensorsFormatException),
        new FuzzTarget("safetensors-file", "Inference SafetensorsFile.Open (memory-mapped) and every tensor's Get",
            SafetensorsFileTarget, e => e is ModelFormatException),
        new FuzzTarget("model-package", "Engine ModelPackageValidator over config.json, index, tokenizer_config.json and a shard",
            ModelPackageTarget, _ => false),
        new FuzzTarget("jinja", "Engine ChatTemplate: lexer, parser and renderer over a template",
            JinjaTarget, e => e is ChatTemplateException),
        new FuzzTarget("aws-error", "Engine AwsErrors.FromParts over an error type header and a JSON body",
            AwsErrorTarget, _ => false),
        new FuzzTarget("s3-error", "AWS SDK S3 unmarshalling of an XML answer, through the engine's S3ClientFactory.MapException",
            S3Targets.S3ErrorTarget, S3Targets.IsEngineError),
        new FuzzTarget("hub", "Engine HubResponses: tree page, commit info and the Link header",
            HubTarget, e => e is HubException),
        new FuzzTarget("sigv4", "Local endpoint SigV4Verifier: claim parse and verification of an HTTP request",
            EndpointTargets.SigV4Target, _ => false),
        new FuzzTarget("aws-chunked", "Local endpoint AwsChunkedDecoder, signed and unsigned",
            EndpointTargets.AwsChunkedTarget, e => e is ChunkedBodyException),
        new FuzzTarget("tokenizer", "Inference ModelTokenizer.Load of a tokenizer.json, then an encode and a decode",
            TokenizerTarget, e => e is TokenizerFormatException),
    };

    public static FuzzTarget? Find(string name) => All.FirstOrDefault(t => t.Name == name);

    /// <summary>Splits an input into parts at a separator line, so one input can hold several files or fields.</summary>
    public static List<byte[]> SplitParts(byte[] input, int maxParts)
    {
        var separator = Encoding.ASCII.GetBytes("\n--8<--\n");
        var parts = new List<byte[]>();
        var start = 0;
        while (parts.Count < maxParts - 1)
        {
            var at = input.AsSpan(start).IndexOf(separator);
            if (at < 0) break;
            parts.Add(input.AsSpan(start, at).ToArray());
            start += at + separator.Length;
        }
        parts.Add(input.AsSpan(start).ToArray());
        return parts;
    }

    private static void EventStreamTarget(byte[] input)
    {
        // The first byte chooses the piece size, as a network read would split the frames.
        var piece = input.Length == 0 ? 1 : input[0] + 1;
        var decoder = new EventStreamDecoder();
        for (var offset = 1; offset < input.Length; offset += piece)
        {
            foreach (var message in decoder.Feed(input, offset, Math.Min(piece, input.Length - offset)))
            {
                foreach (var header in message.Headers) _ = header.ToString();
                _ = message.GetString(":event-type");
                _ = message.ToString();
            }
        }
        decoder.Complete();
    }

    private static void SafetensorsHeaderTarget(byte[] input)
    {
        var source = new MemoryModelSource(new Dictionary<string, byte[]> { ["model.safetensors"] = input });
        var header = SafetensorsHeader.ReadAsync(source, "model.safetensors", input.Length, CancellationToken.None).GetAwaiter().GetResult();
        _ = header.ParameterCount;
        _ = header.DataLength;
        foreach (var tensor in header.Tensors) _ = tensor.ToString();
    }

    private static void SafetensorsFileTarget(byte[] input)
    {
        var path = Path.Combine(ScratchFolder(), "model.safetensors");
        File.WriteAllBytes(path, input);
        using var file = SafetensorsFile.Open(path);
        foreach (var name in file.TensorNames)
        {
            try
            {
                _ = file.Get(name).ToString();
            }
            catch (ModelFormatException)
            {
            }
        }
    }

    private static void ModelPackageTarget(byte[] input)
    {
        // config.json, model.safetensors.index.json, tokenizer_config.json and model.safetensors, in that order;
        // a missing part is a missing file.
        var parts = SplitParts(input, 4);
        var names = new[] { ModelPackageValidator.ConfigFile, ModelPackageValidator.IndexFile, ModelPackageValidator.TokenizerConfigFile, "model.safetensors" };
        var files = new Dictionary<string, byte[]> { [ModelPackageValidator.TokenizerFile] = Encoding.UTF8.GetBytes("{}") };
        for (var i = 0; i < parts.Count; i++) files[names[i]] = parts[i];
        var report = ModelPackageValidator.Validate(new MemoryModelSource(files));
        _ = report.ToString();
    }

    private static void JinjaTarget(byte[] input)
    {
        // The template, then optionally a tokenizer_config.json (its bos/eos tokens and embedded template are read too).
        var parts = SplitParts(input, 2);
        var template = Encoding.UTF8.GetString(parts[0]);
        var tokenizerConfig = parts.Count > 1 ? Encoding.UTF8.GetString(parts[1]) : null;
        var chat = ChatTemplateSource.Read(template, tokenizerConfig);
        if (chat == null) return;
        chat.MaxLoopIterations = TemplateLoopIterations;
        chat.Clock = () => new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var messages = new[]
        {
            new ChatMessage("system", "You are terse."),
            new ChatMessage("user", "Hi {{ there }} <|eot_id|>"),
            new ChatMessage("assistant", "Hello."),
            new ChatMessage("user", "Bye"),
        };
        var variables = new Dictionary<string, object?>
        {
            ["tools"] = new List<object?> { new Dictionary<string, object?> { ["type"] = "function", ["function"] = new Dictionary<string, object?> { ["name"] = "f", ["parameters"] = new Dictionary<string, object?>() } } },
            ["enable_thinking"] = false,
        };
        _ = chat.Render(messages, addGenerationPrompt: true, variables);
    }

    private static void AwsErrorTarget(byte[] input)
    {
        // status line "CODE x-amzn-ErrorType content-type", then the body.
        var parts = SplitParts(input, 2);
        var fields = Encoding.UTF8.GetString(parts[0]).Split(' ');
        var status = fields.Length > 0 && int.TryParse(fields[0], out var s) ? s : 400;
        var errorType = fields.Length > 1 ? fields[1] : null;
        var contentType = fields.Length > 2 ? fields[2] : null;
        var body = parts.Count > 1 ? parts[1] : Array.Empty<byte>();
        var error = AwsErrors.FromParts(status, "Bad Request", errorType, contentType, body, "request-id", null);
        _ = error.Message;
        _ = error.ErrorCode;
        _ = AwsErrorCatalog.KindOf(error.ErrorCode, status);
    }

    private static void HubTarget(byte[] input)
    {
        // The Link header line, then the JSON body read as a tree page and as a model info answer.
        var parts = SplitParts(input, 2);
        var link = Encoding.UTF8.GetString(parts[0]);
        using var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(parts.Count > 1 ? parts[1] : Array.Empty<byte>()),
            RequestMessage = new HttpRequestMessage(HttpMethod.Get, "https://huggingface.co/api/models/org/model/tree/main?recursive=true"),
        };
        if (response.Headers.TryAddWithoutValidation("Link", link))
            _ = HubResponses.NextLink(response, response.RequestMessage.RequestUri!);
        var json = HubResponses.ReadJsonAsync(response, CancellationToken.None).GetAwaiter().GetResult();
        try
        {
            foreach (var file in HubResponses.ParseTreePage(json, "org/model")) _ = file.ToString();
        }
        catch (HubException)
        {
        }
        _ = HubResponses.ParseCommit(json, "org/model", "main");
    }

    private static void TokenizerTarget(byte[] input)
    {
        var path = Path.Combine(ScratchFolder(), "tokenizer.json");
        File.WriteAllBytes(path, input);
        var tokenizer = ModelTokenizer.Load(path);
        var ids = tokenizer.Encode("Hello, world! 12345 ÄÖÜ 漢字 \t\n <s> <|endoftext|>", addSpecialTokens: true);
        _ = tokenizer.Decode(ids, skipSpecialTokens: false);
        _ = tokenizer.Decode(new[] { 0, 1, 2, tokenizer.VocabularySize - 1, tokenizer.VocabularySize + 5 }.Where(i => i >= 0), skipSpecialTokens: true);
    }

    private static string? _scratch;

    /// <summary>A folder of this process's own for the targets that read files (tmpfs when there is one).</summary>
    private static string ScratchFolder()
    {
        if (_scratch != null) return _scratch;
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        _scratch = Path.Combine(root, "bedrockimport-fuzz-" + Environment.ProcessId);
        Directory.CreateDirectory(_scratch);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(_scratch, recursive: true); } catch (IOException) { }
        };
        return _scratch;
    }
}
