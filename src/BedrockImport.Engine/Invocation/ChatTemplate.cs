using System.Text;
using BedrockImport.Engine.Invocation.Jinja;

namespace BedrockImport.Engine.Invocation;

/// <summary>A model's Hugging Face chat template (a Jinja2 program), parsed once and rendered per request the way
/// transformers' apply_chat_template does: trim_blocks and lstrip_blocks on, variables messages, bos_token, eos_token,
/// add_generation_prompt, and the functions raise_exception, namespace, range, dict, strftime_now.
/// Supports the subset of Jinja2 the Llama 3/3.1, Mistral and Qwen 2/2.5/3 templates use; anything else fails to
/// parse with a <see cref="ChatTemplateException"/> naming the construct.</summary>
public sealed class ChatTemplate
{
    private readonly List<Node> _nodes;

    private ChatTemplate(string source, List<Node> nodes, string? bosToken, string? eosToken)
    {
        Source = source;
        _nodes = nodes;
        BosToken = bosToken;
        EosToken = eosToken;
    }

    /// <exception cref="ChatTemplateException">The template does not parse.</exception>
    public static ChatTemplate Parse(string source, string? bosToken = null, string? eosToken = null)
    {
        if (source == null) throw new ArgumentNullException(nameof(source));
        return new ChatTemplate(source, JinjaParser.Parse(source), bosToken, eosToken);
    }

    public string Source { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }

    /// <summary>The file the template was read from (chat_template.jinja or tokenizer_config.json), when ChatTemplateSource read it.</summary>
    public string? SourceFile { get; internal set; }

    /// <summary>Clock for strftime_now (Llama 3.2+ templates print today's date); UTC now by default.</summary>
    public Func<DateTime> Clock { get; set; } = () => DateTime.UtcNow;

    /// <summary>Loop iterations one render may run before it fails (a template comes from a model folder and must not hang the session).</summary>
    public int MaxLoopIterations { get; set; } = 1_000_000;

    /// <summary>Renders a conversation.</summary>
    /// <param name="variables">Extra template variables (tools, enable_thinking, date_string, ...); .NET dictionaries,
    /// lists, strings, numbers and booleans are accepted.</param>
    /// <exception cref="ChatTemplateRaisedException">The template called raise_exception (for example Mistral on
    /// roles that do not alternate).</exception>
    /// <exception cref="ChatTemplateException">Rendering failed (unknown filter, type error, ...).</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null)
    {
        if (messages == null) throw new ArgumentNullException(nameof(messages));
        var globals = new Scope(null);
        JinjaBuiltins.AddGlobals(globals, Clock);
        var scope = new Scope(globals);
        scope.Set("messages", messages.Select(m => JinjaValues.FromDotNet(m)).ToList());
        scope.Set("bos_token", BosToken ?? "");
        scope.Set("eos_token", EosToken ?? "");
        scope.Set("add_generation_prompt", addGenerationPrompt);
        // transformers always passes tools and documents (None when not given), so `tools is defined` holds.
        scope.Set("tools", null);
        scope.Set("documents", null);
        if (variables != null)
            foreach (var variable in variables) scope.Set(variable.Key, JinjaValues.FromDotNet(variable.Value));

        var output = new StringBuilder();
        Node.RenderAll(_nodes, new RenderContext(scope, Clock) { MaxIterations = MaxLoopIterations }, output);
        return output.ToString();
    }
}
