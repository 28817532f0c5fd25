using System.Net;
using System.Text;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using BedrockImport.Engine.Hub;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Invocation.Evaluation;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.ModelPackage;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Wire;
using BedrockImport.Shared;
using Codes = BedrockImport.Engine.ModelPackage.ModelPackageProblemCodes;

namespace BedrockImport.Engine.Tests.Fuzz;

/// <summary>Regressions for what AFL++ found in the engine's readers (fuzz/findings, docs/FUZZING.md). Each input is the
/// smallest form of a saved crash: before the fix it escaped as InvalidOperationException or UriFormatException.</summary>
public class FuzzFindingTests
{
    /// <summary>UTF-8 with the bytes AFL++ put inside strings: 0xFF, a lone continuation byte 0x80, a cut-off 0xC3.</summary>
    private static byte[] Utf8(params object[] pieces)
    {
        var bytes = new List<byte>();
        foreach (var piece in pieces)
        {
            if (piece is string text) bytes.AddRange(Encoding.UTF8.GetBytes(text));
            else bytes.AddRange((byte[])piece);
        }
        return bytes.ToArray();
    }

    private static readonly byte[] Ff = { 0xFF };
    private static readonly byte[] Continuation = { 0x80 };

    public static TheoryData<byte[]> UndecodableJson => new()
    {
        Utf8("{\"a\":\"F", Ff, "\"}"),
        Utf8("{\"", Continuation, "\":1}"),
        Utf8("[\"x\", {\"k\": [\"", new byte[] { 0xC3 }, "\"]}]"),
        Utf8("{\"a\":\"\\ud800\"}"),
        Utf8("{\"\\udc00x\":1}"),
    };

    [Theory]
    [MemberData(nameof(UndecodableJson))]
    public void StrictJson_turns_undecodable_strings_into_a_JsonException(byte[] json)
    {
        var e = Assert.ThrowsAny<JsonException>(() => StrictJson.Parse(json).Dispose());
        Assert.Contains("not valid Unicode", e.Message);
    }

    [Fact]
    public void StrictJson_accepts_every_valid_string_and_still_reports_syntax_errors()
    {
        using var document = StrictJson.Parse(Utf8("{\"é漢字\":\"\\ud83d\\ude00 \\u00e9 ", new byte[] { 0xF0, 0x9F, 0x98, 0x80 }, "\",\"n\":[1,\"\\\\u\"] /* c */}"),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var property = document.RootElement.EnumerateObject().First();
        Assert.Equal("é漢字", property.Name);
        Assert.Equal("\U0001F600 é \U0001F600", property.Value.GetString());
        Assert.Equal("\\u", document.RootElement.GetProperty("n")[1].GetString());

        Assert.ThrowsAny<JsonException>(() => StrictJson.Parse(Utf8("{\"a\":")));
    }

    [Fact]
    public void AwsErrors_read_an_undecodable_error_document_as_a_non_JSON_body()
    {
        // fuzz/findings/aws-error/id-000000: {"Message":"<0x80>"} with an x-amzn-ErrorType header.
        var body = Utf8("{\"Message\":\"", Continuation, "\"}");
        var error = AwsErrors.FromParts(400, "Bad Request", "ThrottlingException:", "application/json", body, "request-id", null);

        Assert.Equal("ThrottlingException", error.ErrorCode);
        Assert.Contains("instead of an AWS error response", error.Message);
    }

    [Fact]
    public void SafetensorsHeader_rejects_an_undecodable_dtype_or_name_as_an_invalid_header()
    {
        // fuzz/findings/safetensors-header/id-000000: "dtype":"F<0xFF><0x7F>".
        foreach (var json in new[]
                 {
                     Utf8("{\"u\":{\"dtype\":\"F", Ff, "\u007f\",\"shape\":[],\"data_offsets\":[0,2]}}"),
                     Utf8("{\"", Ff, "\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}"),
                     Utf8("{\"__metadata__\":{\"format\":\"\\ud800\"}}"),
                 })
        {
            var error = Assert.Throws<SafetensorsFormatException>(() => SafetensorsHeader.Parse(json, 8 + json.Length + 2));
            Assert.Equal(Codes.SafetensorsHeaderInvalid, error.Code);
        }
    }

    [Theory]
    [InlineData(ModelPackageValidator.ConfigFile, Codes.ConfigInvalidJson)]
    [InlineData(ModelPackageValidator.TokenizerConfigFile, Codes.TokenizerConfigInvalidJson)]
    [InlineData(ModelPackageValidator.IndexFile, Codes.IndexInvalid)]
    public void ModelPackageValidator_reports_an_undecodable_settings_file_as_invalid_JSON(string file, string expectedCode)
    {
        using var temp = new TempFolder();
        var info = SyntheticModel.Write(temp.Sub("model"), new SyntheticModelOptions { ShardCount = 2 });
        var path = Path.Combine(info.Folder, file);
        // The file as it was with one name cut into invalid UTF-8 (as in fuzz/findings/model-package): the first key's
        // opening quote gets an 0xFF after it.
        var original = File.ReadAllBytes(path);
        var quote = Array.IndexOf(original, (byte)'"');
        File.WriteAllBytes(path, original.Take(quote + 1).Concat(Ff).Concat(original.Skip(quote + 1)).ToArray());

        var report = ModelPackageValidator.Validate(new LocalFolderSource(info.Folder));

        var problem = Assert.Single(report.Errors, p => p.Code == expectedCode);
        Assert.Equal(file, problem.File);
        Assert.Contains("not valid Unicode", problem.Message);
    }

    [Fact]
    public async Task HubResponses_read_an_undecodable_answer_as_the_Hubs_invalid_JSON_error()
    {
        // fuzz/findings/hub: a model info whose "gated" string holds invalid UTF-8.
        using var response = new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new ByteArrayContent(Utf8("{\"sha\":\"0123456789abcdef0123456789abcdef01234567\",\"gated\":\"man", Ff, "\"}")),
            RequestMessage = new HttpRequestMessage(HttpMethod.Get, "https://huggingface.co/api/models/org/model/revision/main"),
        };

        var e = await Assert.ThrowsAsync<HubException>(() => HubResponses.ReadJsonAsync(response, CancellationToken.None));
        Assert.Contains("invalid JSON", e.Message);
        Assert.Equal(200, e.StatusCode);
    }

    [Fact]
    public async Task HubErrorMapper_reads_an_undecodable_error_body_as_no_message_from_the_Hub()
    {
        // The pattern of fuzz/findings/hub in a Hub error body: before StrictJson the "error" string's GetString threw.
        using var response = new HttpResponseMessage(HttpStatusCode.InternalServerError)
        {
            Content = new ByteArrayContent(Utf8("{\"error\":\"bro", Ff, "ken\"}")),
            RequestMessage = new HttpRequestMessage(HttpMethod.Get, "https://huggingface.co/api/models/org/model/revision/main"),
        };
        var mapper = new HubErrorMapper(new Uri("https://huggingface.co/"), token: null, tokenSource: "no token", TimeSpan.FromSeconds(5));

        var e = await mapper.MapAsync("GetModelInfo", response, new HubErrorContext("org/model", "main", null), CancellationToken.None);

        Assert.Equal(500, e.StatusCode);
        Assert.DoesNotContain("The Hub said", e.Message);
    }

    [Theory]
    [InlineData("{\"chat_template\":\"\\ud800\"}")]
    [InlineData("{\"bos_token\":{\"content\":\"\\udfff\"},\"chat_template\":\"{{ bos_token }}\"}")]
    public void ChatTemplateSource_refuses_an_unpaired_surrogate_escape_in_tokenizer_config_as_a_template_error(string tokenizerConfig)
    {
        var e = Assert.Throws<ChatTemplateException>(() => ChatTemplateSource.Read(null, tokenizerConfig, "org/model"));

        Assert.Contains("tokenizer_config.json is not valid JSON", e.Message);
        Assert.Contains("not valid Unicode", e.Message);
    }

    [Fact]
    public void A_model_answer_with_invalid_UTF8_in_its_text_is_an_invocation_response_format_error()
    {
        var body = Utf8("{\"generation\":\"a", Ff, "b\",\"stop_reason\":\"stop\"}");

        var e = Assert.Throws<InvocationResponseFormatException>(() => InvocationResponseParser.Parse(body));

        Assert.Contains("not valid JSON", e.Message);
        Assert.Contains("not valid Unicode", e.Message);
    }

    [Fact]
    public void A_tool_call_whose_arguments_hold_an_unpaired_surrogate_escape_keeps_its_text_and_no_parsed_arguments()
    {
        // A model writes the arguments: before StrictJson, reading them as plain values threw InvalidOperationException.
        var call = new ToolCall("t1", "lookup", "{\"city\":\"\\ud800\"}");

        Assert.Null(call.Arguments);
        Assert.Equal("{\"city\":\"\\ud800\"}", call.ArgumentsJson);
    }

    [Fact]
    public void A_dataset_line_with_an_unpaired_surrogate_escape_is_a_dataset_format_error_naming_the_line()
    {
        const string Choices = ",\"choice0\":\"a\",\"choice1\":\"b\",\"choice2\":\"c\",\"label\":0}";
        var lines = "{\"q_id\":1,\"question\":\"ok\"" + Choices + "\n{\"q_id\":2,\"question\":\"\\udc00\"" + Choices + "\n";

        var e = Assert.Throws<DatasetFormatException>(
            () => DatasetReader.ReadJsonLines(new StringReader(lines), null, "items.jsonl").ToList());

        Assert.Contains("items.jsonl", e.Message);
        Assert.Contains("2", e.Message.Replace("items.jsonl", ""));
        Assert.Contains("not valid Unicode", e.Message);
    }

    [Theory]
    // fuzz/findings/hub/id-000000 (its NULs and a backslash in the host), a broken IPv6 host, and a scheme that is not http(s).
    [InlineData("<httOs://huggiPgfac\\.c\0\0\u0002\0i/models?cursor=abc>; rel=next")]
    [InlineData("<https://[::1/api/models?cursor=2>; rel=\"next\"")]
    [InlineData("<file:///etc/passwd>; rel=\"next\"")]
    public void HubResponses_refuse_a_next_link_that_is_not_an_http_URL(string link)
    {
        var requestUrl = new Uri("https://huggingface.co/api/models/org/model/tree/main?recursive=true");
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { RequestMessage = new HttpRequestMessage(HttpMethod.Get, requestUrl) };
        Assert.True(response.Headers.TryAddWithoutValidation("Link", link));

        var e = Assert.Throws<HubException>(() => HubResponses.NextLink(response, requestUrl));
        Assert.Contains("next page that is not an http(s) URL", e.Message);
    }

    [Fact]
    public void HubResponses_still_resolve_a_relative_next_link()
    {
        var requestUrl = new Uri("https://huggingface.co/api/models/org/model/tree/main?recursive=true");
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("Link", "</api/models/org/model/tree/main?recursive=true&cursor=abc>; rel=\"next\"");

        Assert.Equal("https://huggingface.co/api/models/org/model/tree/main?recursive=true&cursor=abc", HubResponses.NextLink(response, requestUrl).ToString());
    }

    private const string ListObjects = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        + "<Name>bucket</Name><Prefix>model/</Prefix><KeyCount>1</KeyCount><MaxKeys>MAXKEYS</MaxKeys><IsTruncated>TRUNCATED</IsTruncated>"
        + "<Contents><Key>model/config.json</Key><LastModified>MODIFIED</LastModified><ETag>\"e\"</ETag><Size>SIZE</Size></Contents></ListBucketResult>";

    [Theory]
    // fuzz/findings/s3-error: a 200 ListObjectsV2 answer whose number, boolean or date does not parse, and a size past Int64.
    [InlineData("10p0", "false", "2026-01-01T00:00:00.000Z", "715")]
    [InlineData("1000", "trle", "2026-01-01T00:00:00.000Z", "715")]
    [InlineData("1000", "false", "2026-01-01S00:00:00.000Z", "715")]
    [InlineData("1000", "false", "2026-01-01T00:00:00.000Z", "99999999999999999999")]
    public async Task S3ClientFactory_maps_an_unparsable_value_in_an_S3_answer_to_UnexpectedResponse(string maxKeys, string truncated, string modified, string size)
    {
        var body = ListObjects.Replace("MAXKEYS", maxKeys).Replace("TRUNCATED", truncated).Replace("MODIFIED", modified).Replace("SIZE", size);
        using var client = new AmazonS3Client(new BasicAWSCredentials("AKIDFUZZ", "fuzz-secret"), new AmazonS3Config
        {
            ServiceURL = "http://127.0.0.1:9/",
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            MaxErrorRetry = 0,
            HttpClientFactory = new FixedAnswer(Encoding.UTF8.GetBytes(body)),
        });

        var thrown = await Record.ExceptionAsync(() => client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = "bucket", Prefix = "model/" }));
        Assert.NotNull(thrown);

        var mapped = Assert.IsType<UnexpectedResponseException>(S3ClientFactory.MapException(thrown));
        Assert.Same(thrown, mapped.InnerException);
        Assert.Contains("not valid S3 XML", mapped.Message);
    }

    /// <summary>An SDK HTTP client factory whose every answer is 200 with one XML body.</summary>
    private sealed class FixedAnswer : HttpClientFactory
    {
        private readonly byte[] _body;

        public FixedAnswer(byte[] body) => _body = body;

        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Handler(_body));

        private sealed class Handler : HttpMessageHandler
        {
            private readonly byte[] _body;

            public Handler(byte[] body) => _body = body;

            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(_body), RequestMessage = request };
                response.Content.Headers.TryAddWithoutValidation("Content-Type", "application/xml");
                return Task.FromResult(response);
            }
        }
    }
}
