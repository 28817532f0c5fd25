using Amazon.S3;
using BedrockImport.Engine.Credentials;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Transfer;

/// <summary>An AmazonS3Client whose calls run under the one RetryPolicy, with SDK errors mapped to the engine's exceptions
/// and one Verbose line per logged call.</summary>
internal sealed class S3Calls : IDisposable
{
    private readonly IEngineLog _log;
    private readonly string _endpointText;

    public S3Calls(AwsSession session, RetryOptions retry, IEngineLog log, int maxConnections = 0)
    {
        Session = session;
        _log = log;
        Policy = new RetryPolicy(retry, log);
        Client = S3ClientFactory.Create(session, retry, maxConnections);
        _endpointText = session.ResolveEndpoint(AwsService.S3).ToString();
    }

    public AwsSession Session { get; }
    public AmazonS3Client Client { get; }
    public RetryPolicy Policy { get; }

    public void LogOperation(string operation, string target, string? detail = null)
        => _log.Verbose($"Invoking Amazon S3 operation '{operation}' on '{target}' in region '{Session.Region}' on endpoint '{_endpointText}'"
                        + (detail == null ? "" : ": " + detail));

    /// <summary>Runs call with retries (each retry is logged with operation and target); logs one line first unless
    /// logCall is false (part uploads, where the caller logs one summary per file).</summary>
    public Task<T> RunAsync<T>(string operation, string target, Func<AmazonS3Client, CancellationToken, Task<T>> call, CancellationToken cancellationToken,
        bool logCall = true)
    {
        if (logCall)
        {
            LogOperation(operation, target);
        }

        var retryName = operation + " on '" + target + "'";
        return Policy.ExecuteAsync(retryName, async token =>
        {
            try
            {
                return await call(Client, token).ConfigureAwait(false);
            }
            catch (Exception error)
            {
                var mapped = S3ClientFactory.MapException(error);
                if (ReferenceEquals(mapped, error))
                {
                    throw;
                }

                throw mapped;
            }
        }, cancellationToken);
    }

    public void Dispose() => Client.Dispose();
}
