using System.Text;
using System.Text.Json;
using BedrockImport.Engine.Bedrock;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.ModelPackage;
using BedrockImport.Engine.Wire;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>The Engine's own Bedrock clients against the endpoint: the shapes each side writes are the shapes the other reads.</summary>
public class EngineClientRoundTripTests
{
    private static AwsSession Session(BedrockTestEndpoint endpoint) => AwsSessionResolver.Resolve(new CredentialRequest
    {
        AccessKey = endpoint.Endpoint.Server.AccessKeyId,
        SecretKey = endpoint.Endpoint.Server.SecretAccessKey,
        Region = endpoint.Endpoint.Server.Region,
        EndpointUrl = endpoint.Endpoint.Server.BaseUrl.ToString(),
    }, new ProcessEnvironment(), NullEngineLog.Instance);

    private static readonly RetryOptions NoRetries = new() { MaxAttempts = 1, ColdStartBudget = TimeSpan.Zero };

    [Fact]
    public async Task Import_get_list_invoke_stream_and_delete_through_the_engine_clients()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync();
        var s3Uri = await endpoint.UploadModelAsync(new SyntheticModelOptions { ChatTemplate = SyntheticChatTemplate.JinjaFile });
        using var control = new BedrockControlClient(Session(endpoint), NoRetries);
        using var runtime = new BedrockRuntimeClient(Session(endpoint), NoRetries);

        var jobArn = await control.CreateModelImportJobAsync(new CreateModelImportJobRequest
        {
            JobName = "engine-job", ImportedModelName = "engine-model", RoleArn = BedrockTestEndpoint.RoleArn,
            ModelDataSource = new ModelDataSource { S3DataSource = new S3DataSource { S3Uri = s3Uri } },
            ClientRequestToken = "token-1",
        }, CancellationToken.None);
        var job = await control.GetModelImportJobAsync("engine-job", CancellationToken.None);
        Assert.Equal(jobArn, job.JobArn);
        Assert.Equal("Completed", job.Status);
        Assert.NotNull(job.CreationTime);
        Assert.Equal(s3Uri, job.S3Uri);

        var model = await control.GetImportedModelAsync(job.ImportedModelArn, CancellationToken.None);
        Assert.True(model.InstructSupported);
        Assert.Equal("llama", model.ModelArchitecture);
        Assert.Single(await control.ListImportedModelsAsync(new ListImportedModelsRequest { NameContains = "engine" }, CancellationToken.None));
        Assert.Single(await control.ListModelImportJobsAsync(new ListModelImportJobsRequest { StatusEquals = "Completed", MaxResults = 1 }, CancellationToken.None));

        var body = Encoding.UTF8.GetBytes("{\"prompt\":\"Hello from the engine\",\"max_gen_len\":20}");
        var result = await runtime.InvokeModelAsync(new InvokeModelRequest { ModelId = model.ModelArn, Body = body }, CancellationToken.None);
        using var answer = JsonDocument.Parse(result.Body);
        Assert.Equal(answer.RootElement.GetProperty("generation_token_count").GetInt32(), result.OutputTokenCount);

        var streamed = new StringBuilder();
        await foreach (var chunk in runtime.InvokeModelWithResponseStreamAsync(new InvokeModelRequest { ModelId = model.ModelArn, Body = body }, CancellationToken.None))
        {
            using var part = JsonDocument.Parse(chunk.Bytes);
            streamed.Append(part.RootElement.GetProperty("generation").GetString());
        }
        Assert.Equal(answer.RootElement.GetProperty("generation").GetString(), streamed.ToString());

        await control.DeleteImportedModelAsync("engine-model", CancellationToken.None);
        var missing = await Assert.ThrowsAnyAsync<AwsServiceException>(() => control.GetImportedModelAsync("engine-model", CancellationToken.None));
        Assert.Equal("ResourceNotFoundException", missing.ErrorCode);
    }

    [Fact]
    public async Task A_mid_stream_exception_frame_surfaces_as_an_engine_error()
    {
        await using var endpoint = await BedrockTestEndpoint.StartAsync(k => k.Bedrock.StreamFaultAfterChunks = 2);
        var modelArn = await endpoint.ImportModelAsync();
        using var runtime = new BedrockRuntimeClient(Session(endpoint), NoRetries);

        var chunks = 0;
        var error = await Assert.ThrowsAnyAsync<AwsServiceException>(async () =>
        {
            await foreach (var _ in runtime.InvokeModelWithResponseStreamAsync(new InvokeModelRequest
                           {
                               ModelId = modelArn, Body = Encoding.UTF8.GetBytes("{\"prompt\":\"Tell me about imported models\"}"),
                           }, CancellationToken.None))
                chunks++;
        });
        Assert.Equal(2, chunks);
        Assert.Equal("ModelStreamErrorException", error.ErrorCode, ignoreCase: true);
    }
}
