using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BedrockImport.Engine.Sources;

namespace BedrockImport.Engine.Import;

/// <summary>What a model import was made from, written as a tag on the job and the imported model so that a rerun of the same
/// import can find them (ImportPreflight). Two forms:
/// <list type="bullet">
/// <item><c>hf-commit:&lt;40 hex&gt;</c> when the files were copied from a Hugging Face commit (Copy-BedrockModelSource
/// -HuggingFaceModel): a commit names its whole tree.</item>
/// <item><c>s3-etags-sha256:&lt;64 hex&gt;</c> otherwise: the SHA-256 of one UTF-8 line per object under the prefix (folder
/// markers left out, hidden files included, as ListObjectsV2 lists them), sorted by relative key (ordinal), each line
/// <c>relative key TAB size TAB ETag</c> (the ETag without its quotes) and a LF. The bucket and prefix are not part of it, so
/// the same files copied elsewhere are the same source; the same bytes uploaded with another part size have another
/// multipart ETag, and so count as another source (the safe direction: it imports anew).</item>
/// </list></summary>
public static class ImportSourceIdentity
{
    /// <summary>The tag key, on both the job (jobTags) and the imported model (importedModelTags).</summary>
    public const string TagKey = "bedrockimport:source";

    public const string HubCommitPrefix = "hf-commit:";

    public const string ObjectDigestPrefix = "s3-etags-sha256:";

    public static string FromHubCommit(string commit)
    {
        if (commit == null || commit.Length != 40 || !commit.All(Uri.IsHexDigit))
        {
            throw new ArgumentException("A Hugging Face commit is 40 hexadecimal digits.", nameof(commit));
        }

        return HubCommitPrefix + commit.ToLowerInvariant();
    }

    public static string FromObjects(IEnumerable<ModelSourceFile> objects)
    {
        if (objects == null)
        {
            throw new ArgumentNullException(nameof(objects));
        }

        var text = new StringBuilder();
        foreach (var file in objects.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            text.Append(file.Path).Append('\t')
                .Append(file.Length.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append((file.ETag ?? "").Trim('"')).Append('\n');
        }

        using var sha = SHA256.Create();
        var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text.ToString()));
        return ObjectDigestPrefix + string.Concat(hash.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    /// <summary>The identity recorded in a resource's tags, or null.</summary>
    public static string? Of(IEnumerable<Bedrock.Tag>? tags)
        => tags?.FirstOrDefault(t => string.Equals(t.Key, TagKey, StringComparison.Ordinal))?.Value;
}
