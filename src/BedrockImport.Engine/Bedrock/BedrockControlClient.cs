using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock
{
    /// <summary>Bedrock control plane (host bedrock.&lt;region&gt;, signing name bedrock), the six import operations.</summary>
    public sealed class BedrockControlClient : IDisposable
    {
        public BedrockControlClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
        {
            throw new NotImplementedException();
        }

        /// <returns>The new job's ARN.</returns>
        public Task<string> CreateModelImportJobAsync(CreateModelImportJobRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();
        /// <param name="jobIdentifier">Job ARN or job name.</param>
        public Task<ModelImportJob> GetModelImportJobAsync(string jobIdentifier, CancellationToken cancellationToken) => throw new NotImplementedException();
        /// <summary>Follows every page.</summary>
        public Task<IReadOnlyList<ModelImportJob>> ListModelImportJobsAsync(ListModelImportJobsRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();
        /// <param name="modelIdentifier">Model ARN or model name.</param>
        public Task<ImportedModel> GetImportedModelAsync(string modelIdentifier, CancellationToken cancellationToken) => throw new NotImplementedException();
        public Task<IReadOnlyList<ImportedModel>> ListImportedModelsAsync(ListImportedModelsRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();
        public Task DeleteImportedModelAsync(string modelIdentifier, CancellationToken cancellationToken) => throw new NotImplementedException();

        public void Dispose() { }
    }
}
