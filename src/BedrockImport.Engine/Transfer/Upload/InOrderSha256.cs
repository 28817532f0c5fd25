using System.Security.Cryptography;

namespace BedrockImport.Engine.Transfer.Upload;

/// <summary>The SHA-256 of a whole file, fed with its parts in part order while the parts are read in parallel.
/// Jobs are taken in part order, so the part waited for is already held by another worker, which never waits for a later
/// part: no deadlock. A worker waits at most about one part's read time, holding its buffer (memory stays Concurrency x
/// part size).</summary>
internal sealed class InOrderSha256
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    /// <summary>Completed when part n+1 has been added.</summary>
    private readonly TaskCompletionSource<bool>[] _hashed;

    public InOrderSha256(int partCount)
    {
        _hashed = new TaskCompletionSource<bool>[partCount];
        for (var i = 0; i < partCount; i++)
        {
            _hashed[i] = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Adds a part once the parts before it are in. Returns the whole file's digest after the last part, else null.</summary>
    public async Task<byte[]?> AddPartAsync(int partNumber, byte[] buffer, int length, CancellationToken cancellationToken)
    {
        if (partNumber > 1)
        {
            await WaitAsync(_hashed[partNumber - 2].Task, cancellationToken).ConfigureAwait(false);
        }

        _hash.AppendData(buffer, 0, length);
        byte[]? whole = null;
        if (partNumber == _hashed.Length)
        {
            whole = _hash.GetHashAndReset();
            _hash.Dispose();
        }

        _hashed[partNumber - 1].TrySetResult(true);
        return whole;
    }

    private static async Task WaitAsync(Task task, CancellationToken cancellationToken)
    {
        if (!task.IsCompleted)
        {
            var cancelled = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (cancellationToken.Register(() => cancelled.TrySetCanceled(cancellationToken)))
            {
                await (await Task.WhenAny(task, cancelled.Task).ConfigureAwait(false)).ConfigureAwait(false);
                return;
            }
        }

        await task.ConfigureAwait(false);
    }
}
