using BedrockImport.Engine.ModelPackage;

namespace BedrockImport.LocalEndpoint.Tests.Bedrock;

/// <summary>A local endpoint with one imported sample model, shared by a test class (an xunit class fixture): the
/// subclass says which model folder it imports (its answer book, chat template, ...).</summary>
public abstract class ImportedModelEndpoint : IAsyncLifetime
{
    internal BedrockTestEndpoint Endpoint { get; private set; }
    internal string ModelArn { get; private set; }

    protected abstract SyntheticModelOptions Model();

    public async Task InitializeAsync()
    {
        Endpoint = await BedrockTestEndpoint.StartAsync();
        ModelArn = await Endpoint.ImportModelAsync(Model());
    }

    public async Task DisposeAsync() => await Endpoint.DisposeAsync();
}
