using System.Text;

namespace BedrockImport.Inference.Tokenization;

/// <summary>
/// A tokenizer.json decoder: turns the model's token strings back into text chunks, as the Rust decoders'
/// decode_chain does; the chunks are concatenated at the end.
/// </summary>
internal abstract class Decoder
{
    public abstract List<string> DecodeChain(List<string> tokens);

    public static Decoder? Read(CheckedJson node, TokenizerLimits limits, int depth = 0)
    {
        if (node.IsNull) return null;
        if (depth > limits.MaxComponentDepth) throw node.Error("decoders nest too deeply");
        var type = node.TypeName();
        switch (type)
        {
            case "ByteLevel": return new ByteLevelDecoder();
            case "ByteFallback": return new ByteFallbackDecoder();
            case "Fuse": return new FuseDecoder();
            case "Strip":
            {
                var content = node["content"].GetString(8);
                if (content.Length != 1) throw node["content"].Error("the content to strip must be one character");
                return new StripDecoder(content[0], node["start"].GetOptionalInt(0, 1024, 0), node["stop"].GetOptionalInt(0, 1024, 0));
            }
            case "Replace":
                return new ReplaceDecoder(Pattern.Read(node["pattern"], limits), node["content"].GetString(limits.MaxTokenLength));
            case "Metaspace":
                return new MetaspaceDecoder(PreTokenizer.ReadReplacement(node["replacement"]), PreTokenizer.ReadPrependScheme(node));
            case "Sequence":
                return new SequenceDecoder(node["decoders"].Items(64)
                    .Select(child => Read(child, limits, depth + 1))
                    .Where(child => child is not null)
                    .ToArray()!);
            default:
                throw node.Error($"decoder type '{type}' is not supported");
        }
    }
}

/// <summary>All tokens' bytes joined into one chunk; invalid UTF-8 becomes U+FFFD, as from_utf8_lossy does.</summary>
internal sealed class ByteLevelDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var token in tokens)
        {
            ByteLevelAlphabet.AppendBytes(token, bytes);
        }
        return new List<string> { Encoding.UTF8.GetString(bytes.ToArray()) };
    }
}

/// <summary>Runs of <c>&lt;0xNN&gt;</c> tokens become the text of their bytes, or one U+FFFD per byte when not valid UTF-8.</summary>
internal sealed class ByteFallbackDecoder : Decoder
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public override List<string> DecodeChain(List<string> tokens)
    {
        var result = new List<string>(tokens.Count);
        var pending = new List<byte>();
        foreach (var token in tokens)
        {
            if (TryParseByteToken(token, out var b))
            {
                pending.Add(b);
                continue;
            }
            Flush(pending, result);
            result.Add(token);
        }
        Flush(pending, result);
        return result;
    }

    internal static bool TryParseByteToken(string token, out byte value)
    {
        value = 0;
        return token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    private static void Flush(List<byte> pending, List<string> result)
    {
        if (pending.Count == 0) return;
        try
        {
            result.Add(StrictUtf8.GetString(pending.ToArray()));
        }
        catch (DecoderFallbackException)
        {
            for (var i = 0; i < pending.Count; i++) result.Add("\uFFFD");
        }
        pending.Clear();
    }
}

internal sealed class FuseDecoder : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => new() { string.Concat(tokens) };
}

/// <summary>Removes up to <c>start</c> leading and <c>stop</c> trailing occurrences of one character from each token.</summary>
internal sealed class StripDecoder(char content, int start, int stop) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(token =>
    {
        var from = 0;
        while (from < token.Length && from < start && token[from] == content) from++;
        var to = token.Length;
        while (to > from && token.Length - to < stop && token[to - 1] == content) to--;
        return token[from..to];
    }).ToList();
}

internal sealed class ReplaceDecoder(Pattern pattern, string content) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select(token => pattern.Replace(token, content)).ToList();
}

/// <summary>The replacement character becomes a space, except in the first token when a prefix was prepended.</summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens) => tokens.Select((token, index) =>
    {
        var builder = new StringBuilder(token.Length);
        foreach (var c in token)
        {
            if (c != replacement) builder.Append(c);
            else if (index != 0 || scheme == PrependScheme.Never) builder.Append(' ');
        }
        return builder.ToString();
    }).ToList();
}

internal sealed class SequenceDecoder(Decoder[] decoders) : Decoder
{
    public override List<string> DecodeChain(List<string> tokens)
    {
        foreach (var decoder in decoders)
        {
            tokens = decoder.DecodeChain(tokens);
        }
        return tokens;
    }
}
