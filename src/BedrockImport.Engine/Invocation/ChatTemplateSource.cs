using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using BedrockImport.Shared;

namespace BedrockImport.Engine.Invocation;

/// <summary>Finds a model's chat template in the files of its source folder (anchors-and-formats.md §3 Addendum):
/// chat_template.jinja (transformers 5 writes it there) wins over "chat_template" inside tokenizer_config.json
/// (older layout: a string, or a list of {name, template} of which "default" is used). bos_token/eos_token come from
/// tokenizer_config.json, as strings or {"content": ...} objects.</summary>
public static class ChatTemplateSource
{
    public const string TemplateFileName = "chat_template.jinja";
    public const string TokenizerConfigFileName = "tokenizer_config.json";

    /// <summary>The template, or null when neither file has one.</summary>
    /// <param name="chatTemplateJinja">Contents of chat_template.jinja, or null when the file is absent.</param>
    /// <param name="tokenizerConfigJson">Contents of tokenizer_config.json, or null when the file is absent.</param>
    /// <param name="modelName">The model the files belong to, named in the template's limit errors.</param>
    /// <exception cref="ChatTemplateException">tokenizer_config.json is not JSON, or the template does not parse.</exception>
    public static ChatTemplate? Read(string? chatTemplateJinja, string? tokenizerConfigJson, string? modelName = null)
    {
        string? bos = null, eos = null, embedded = null;
        if (!string.IsNullOrWhiteSpace(tokenizerConfigJson))
        {
            try
            {
                using var document = StrictJson.Parse(Encoding.UTF8.GetBytes(tokenizerConfigJson!));
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Object)
                {
                    bos = Token(root, "bos_token");
                    eos = Token(root, "eos_token");
                    embedded = EmbeddedTemplate(root);
                }
            }
            catch (JsonException e)
            {
                throw new ChatTemplateException(TokenizerConfigFileName + " is not valid JSON: " + e.Message, 0, e);
            }
        }
        var source = !string.IsNullOrWhiteSpace(chatTemplateJinja) ? chatTemplateJinja : embedded;
        if (string.IsNullOrWhiteSpace(source)) return null;
        var template = ChatTemplate.Parse(source!, bos, eos, modelName);
        template.SourceFile = !string.IsNullOrWhiteSpace(chatTemplateJinja) ? TemplateFileName : TokenizerConfigFileName;
        return template;
    }

    private static string? Token(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var token)) return null;
        if (token.ValueKind == JsonValueKind.String) return token.GetString();
        if (token.ValueKind == JsonValueKind.Object && token.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            return content.GetString();
        return null;
    }

    private static string? EmbeddedTemplate(JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var template)) return null;
        if (template.ValueKind == JsonValueKind.String) return template.GetString();
        if (template.ValueKind != JsonValueKind.Array) return null;
        string? first = null;
        foreach (var named in template.EnumerateArray())
        {
            if (named.ValueKind != JsonValueKind.Object) continue;
            var text = named.TryGetProperty("template", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            var name = named.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            if (text == null) continue;
            if (name == "default") return text;
            first ??= text;
        }
        return first;
    }
}

/// <summary>Chat templates by model source (for example the imported model's S3 URI), each loaded once per session.
/// A failed load is not cached, so the next call tries again.</summary>
public sealed class ChatTemplateCache
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ChatTemplate?>>> _entries =
        new ConcurrentDictionary<string, Lazy<Task<ChatTemplate?>>>(StringComparer.Ordinal);

    public static ChatTemplateCache Shared { get; } = new ChatTemplateCache();

    /// <param name="key">The model source, e.g. s3://bucket/prefix/.</param>
    /// <param name="load">Reads the files and calls <see cref="ChatTemplateSource.Read"/>; null result = no template (cached too).</param>
    public async Task<ChatTemplate?> GetOrLoadAsync(string key, Func<CancellationToken, Task<ChatTemplate?>> load, CancellationToken cancellationToken)
    {
        var entry = _entries.GetOrAdd(key, _ => new Lazy<Task<ChatTemplate?>>(() => load(cancellationToken)));
        try
        {
            return await entry.Value.ConfigureAwait(false);
        }
        catch
        {
            ((System.Collections.Generic.IDictionary<string, Lazy<Task<ChatTemplate?>>>)_entries).Remove(
                new System.Collections.Generic.KeyValuePair<string, Lazy<Task<ChatTemplate?>>>(key, entry));
            throw;
        }
    }

    /// <summary>Drops the template of a source that is gone (a deleted model).</summary>
    public void Forget(string key) => _entries.TryRemove(key, out _);

    public void Clear() => _entries.Clear();
}
