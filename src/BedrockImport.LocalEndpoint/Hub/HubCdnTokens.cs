using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace BedrockImport.LocalEndpoint.Hub;

/// <summary>
/// The token of a CDN URL: repo, commit and path, with an HMAC under a key that is random per server start. So a CDN URL
/// works only for the commit it was issued for, and only until the endpoint restarts.
/// </summary>
internal sealed class HubCdnTokens
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string Issue(HubRepoSnapshot snapshot, HubRepoFile file)
    {
        var payload = Encoding.UTF8.GetBytes(snapshot.RepoId + "\n" + snapshot.Sha + "\n" + file.Path);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(Mac(payload));
    }

    public bool TryRead(string token, out string repoId, out string sha, out string filePath)
    {
        repoId = sha = filePath = "";
        var dot = token.IndexOf('.');
        if (dot < 0)
            return false;
        try
        {
            var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            if (!CryptographicOperations.FixedTimeEquals(Base64Url.DecodeFromChars(token.AsSpan(dot + 1)), Mac(payload)))
                return false;
            var parts = Encoding.UTF8.GetString(payload).Split('\n', 3);
            if (parts.Length != 3 || !parts[0].Contains('/'))
                return false;
            (repoId, sha, filePath) = (parts[0], parts[1], parts[2]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private byte[] Mac(byte[] payload) => HMACSHA256.HashData(_key, payload).AsSpan(0, 16).ToArray();
}
