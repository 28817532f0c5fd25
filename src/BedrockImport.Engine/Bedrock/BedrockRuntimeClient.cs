using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Bedrock
{
    /// <summary>Bedrock Runtime (host bedrock-runtime.&lt;region&gt;, signing name bedrock).</summary>
    public sealed class BedrockRuntimeClient : IDisposable
    {
        public BedrockRuntimeClient(AwsSession session, RetryOptions? retry = null, IEngineLog? log = null)
        {
            throw new NotImplementedException();
        }

        public Task<InvokeModelResult> InvokeModelAsync(InvokeModelRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();

        /// <summary>Streams `chunk` events as they are decoded. Retried only before the first chunk.
        /// Disposing the enumerator (breaking out of await foreach) closes the connection at once.</summary>
        public IAsyncEnumerable<ResponseStreamChunk> InvokeModelWithResponseStreamAsync(InvokeModelRequest request, CancellationToken cancellationToken) => throw new NotImplementedException();

        public void Dispose() { }
    }
}
