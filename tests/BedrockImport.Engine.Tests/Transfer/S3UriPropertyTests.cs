using System.Text;
using BedrockImport.Engine.Transfer;
using CsCheck;

namespace BedrockImport.Engine.Tests.Transfer;

/// <summary>Properties of S3Uri over random buckets and keys: every valid location parses to its parts and formats
/// back to the same text, every parsed URI survives a format-and-parse, and broken bucket names are refused with the
/// rule they break.</summary>
public class S3UriPropertyTests
{
    private const int Iterations = 1000;
    private const int MaxKeyBytes = 1024;

    private static readonly Gen<char> LowerOrDigit = Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789"];

    // A label of a bucket name: starts and ends with a letter or digit, '-' anywhere between.
    private static readonly Gen<string> Label =
        Gen.Select(LowerOrDigit, Gen.Char["abcdefghijklmnopqrstuvwxyz0123456789-"].Array[0, 20], LowerOrDigit, Gen.Bool,
            (first, middle, last, single) => single ? first.ToString() : first + new string(middle) + last);

    private static readonly string[] ReservedPrefixes = { "xn--", "sthree-", "amzn-s3-demo-" };
    private static readonly string[] ReservedSuffixes = { "-s3alias", "--ol-s3", ".mrap" };

    /// <summary>Bucket names S3's general purpose naming rules allow, built from those rules rather than from the validator.</summary>
    private static readonly Gen<string> Bucket = Label.Array[1, 4]
        .Select(labels => string.Join(".", labels))
        .Where(name => name.Length >= 3 && name.Length <= 63
            && !ReservedPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))
            && !ReservedSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal))
            && !name.Split('.').All(label => label.All(char.IsAsciiDigit)));

    // Keys are any UTF-8: folders, spaces, punctuation, letters outside ASCII.
    private static readonly Gen<char> KeyChar = Gen.Char["abcXYZ019-_.!*'()/ /+=&$@,;:?#%~é中Ω"];

    /// <summary>Keys up to S3's 1,024 bytes. One ending in whitespace is left out: Parse refuses a URI that ends in
    /// whitespace (pasted text), so such a key cannot come back through it.</summary>
    private static readonly Gen<string> Key = KeyChar.Array[0, 300].Select(chars => new string(chars))
        .Where(key => Encoding.UTF8.GetByteCount(key) <= MaxKeyBytes && (key.Length == 0 || !char.IsWhiteSpace(key[^1])));

    [Fact]
    public void A_valid_location_parses_to_its_bucket_and_key_and_formats_back_to_the_same_text()
    {
        Gen.Select(Bucket, Key, Gen.Bool).Sample((bucket, key, upperScheme) =>
        {
            var text = (upperScheme ? "S3://" : "s3://") + bucket + "/" + key;

            var uri = S3Uri.Parse(text);

            Assert.Equal(bucket, uri.Bucket);
            Assert.Equal(key, uri.Key);
            Assert.Equal("s3://" + bucket + "/" + key, uri.ToString());
            var again = S3Uri.Parse(uri.ToString());
            Assert.Equal(uri, again);
            Assert.Equal(uri.GetHashCode(), again.GetHashCode());
            Assert.Equal(uri, new S3Uri(bucket, key));
        }, iter: Iterations);
    }

    [Fact]
    public void Whatever_parses_survives_formatting_and_parsing_again()
    {
        // Mostly near-misses of real URIs: a scheme, slashes, a bucket-like run, then anything.
        var noise = Gen.Char["aZ09-._/: s3S\t\u00e9"].Array[0, 40].Select(chars => new string(chars));
        var candidate = Gen.Select(Gen.OneOf(Gen.Const("s3://"), Gen.Const("S3://"), Gen.Const("s3:/"), Gen.Const("")), noise, (scheme, rest) => scheme + rest);

        candidate.Sample(text =>
        {
            if (!S3Uri.TryParse(text, out var uri)) return;

            var formatted = uri!.ToString();
            Assert.Equal(uri, S3Uri.Parse(formatted));
            Assert.Equal(formatted, S3Uri.Parse(formatted).ToString());
        }, iter: Iterations * 5);
    }

    [Fact]
    public void A_key_past_1024_bytes_is_refused_by_Parse_and_by_the_constructor_alike()
    {
        var longKey = KeyChar.Array[900, 1100].Select(chars => new string(chars));

        Gen.Select(Bucket, longKey).Sample((bucket, key) =>
        {
            var tooLong = Encoding.UTF8.GetByteCount(key) > MaxKeyBytes;
            var parsed = S3Uri.TryParse("s3://" + bucket + "/" + key, out _);
            var built = Record.Exception(() => new S3Uri(bucket, key));

            // A trailing space is refused by Parse alone (see Key); the constructor takes it.
            if (!char.IsWhiteSpace(key[^1])) Assert.Equal(!tooLong, parsed);
            Assert.Equal(tooLong, built is S3UriFormatException { Problem: S3UriProblem.KeyTooLong });
        }, iter: Iterations);
    }

    [Fact]
    public void Append_cannot_build_a_key_Parse_would_refuse()
    {
        // The property's find: the constructor took any key, so Append could make an S3Uri whose text Parse refuses.
        var folder = new S3Uri("model-bucket", new string('f', 1010));

        Assert.Equal(S3UriProblem.KeyTooLong, Assert.Throws<S3UriFormatException>(() => folder.Append("model.safetensors")).Problem);
        Assert.Equal(1024, System.Text.Encoding.UTF8.GetByteCount(folder.Append(new string('m', 13)).Key));
    }

    [Fact]
    public void Append_puts_the_relative_key_under_the_folder()
    {
        Gen.Select(Bucket, Key, Key).Sample((bucket, prefix, relative) =>
        {
            var folder = new S3Uri(bucket, prefix);
            if (Encoding.UTF8.GetByteCount(folder.FolderPrefix + relative.TrimStart('/')) > MaxKeyBytes) return;

            var child = folder.Append(relative);

            Assert.Equal(bucket, child.Bucket);
            Assert.True(folder.FolderPrefix.Length == 0 || folder.FolderPrefix.EndsWith('/'));
            Assert.StartsWith(folder.FolderPrefix, child.Key, StringComparison.Ordinal);
            Assert.Equal(relative.TrimStart('/'), child.Key.Substring(folder.FolderPrefix.Length));
        }, iter: Iterations);
    }

    [Fact]
    public void A_bucket_name_that_breaks_a_rule_is_refused_with_that_rule()
    {
        (from bucket in Bucket
         from position in Gen.Int[0, bucket.Length - 1]
         from breach in Gen.Int[0, 3]
         select (bucket, position, breach)).Sample((bucket, position, breach) =>
        {
            var (broken, problem) = breach switch
            {
                0 => (bucket.Substring(0, position) + "Q" + bucket.Substring(position + 1), S3UriProblem.BucketUppercase),
                1 => (bucket.Substring(0, position) + "_" + bucket.Substring(position + 1), S3UriProblem.BucketCharacters),
                2 => ("-" + bucket.Substring(1), S3UriProblem.BucketStartOrEnd),
                _ => (bucket + new string('a', 64 - bucket.Length), S3UriProblem.BucketLength),
            };

            var error = Assert.Throws<S3UriFormatException>(() => S3Uri.Parse("s3://" + broken + "/key"));

            Assert.Equal(problem, error.Problem);
            Assert.Contains(broken, error.Message);
        }, iter: Iterations);
    }
}
