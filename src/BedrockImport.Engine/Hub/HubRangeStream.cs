using System.Net;

namespace BedrockImport.Engine.Hub;

/// <summary>The body of a ranged answer from /resolve: skips what a Range-ignoring server sent before the offset, stops after
/// the requested length, and disposes the response with it.</summary>
internal sealed class HubRangeStream : BedrockImport.Engine.IO.ReadOnlyForwardStream
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private long _skip;
    private long _remaining;

    private HubRangeStream(HttpResponseMessage response, Stream body, long skip, long length)
    {
        _response = response;
        _body = body;
        _skip = skip;
        _remaining = length;
    }

    /// <summary>The requested bytes of a 206 answer (which must start at the offset), or of a 200 answer with the whole file.</summary>
    public static async Task<HubRangeStream> OpenAsync(HttpResponseMessage response, long offset, long length, string path, string repoId)
    {
        long skip = 0;
        if (response.StatusCode == HttpStatusCode.PartialContent)
        {
            var contentRange = response.Content.Headers.ContentRange;
            if (contentRange?.From != null && contentRange.From.Value != offset)
            {
                throw new HubException($"The Hub answered bytes {contentRange.From}- of '{path}' when bytes {offset}- were asked for.", 206, null, repoId);
            }
        }
        else
        {
            // A server that ignores Range sends the whole file: skip to the offset.
            skip = offset;
        }

        var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
        return new HubRangeStream(response, body, skip, length);
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        while (_skip > 0)
        {
            var skipped = await _body.ReadAsync(buffer, offset, (int)Math.Min(count, _skip), cancellationToken).ConfigureAwait(false);
            if (skipped == 0)
            {
                return 0;
            }

            _skip -= skipped;
        }

        if (_remaining <= 0)
        {
            return 0;
        }

        var read = await _body.ReadAsync(buffer, offset, (int)Math.Min(count, _remaining), cancellationToken).ConfigureAwait(false);
        _remaining -= read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
