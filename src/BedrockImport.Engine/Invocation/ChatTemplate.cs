using System.Text;
using BedrockImport.Engine.Invocation.Jinja;

namespace BedrockImport.Engine.Invocation;

/// <summary>A model's Hugging Face chat template (a Jinja2 program), parsed once and rendered per request the way
/// transformers' apply_chat_template does: trim_blocks and lstrip_blocks on, variables messages, bos_token, eos_token,
/// add_generation_prompt, and the functions raise_exception, namespace, range, dict, strftime_now.
/// Supports the subset of Jinja2 the Llama 3/3.1, Mistral and Qwen 2/2.5/3 templates use; anything else fails to
/// parse with a <see cref="ChatTemplateException"/> naming the construct.
/// A template comes from a model's repository and is treated as untrusted code: it sees only the variables above and
/// the values the caller passes (converted to plain strings, numbers, lists and dicts), has no way to files, environment
/// variables or .NET objects, gets undefined for Python internals such as <c>__class__</c>, and every parse and render
/// is bounded (MaxLoopIterations, MaxOutputLength, MaxNestingDepth, MaxRenderTime, MaxRenderMemory), failing with a
/// <see cref="ChatTemplateLimitException"/> that names the model and the limit.</summary>
public sealed class ChatTemplate
{
    private readonly List<Node> _nodes;

    private ChatTemplate(string source, List<Node> nodes, string? bosToken, string? eosToken, string? modelName)
    {
        Source = source;
        _nodes = nodes;
        BosToken = bosToken;
        EosToken = eosToken;
        ModelName = modelName;
    }

    /// <param name="modelName">The model the template belongs to, named in errors (an ARN, Hub id or folder).</param>
    /// <exception cref="ChatTemplateException">The template does not parse.</exception>
    /// <exception cref="ChatTemplateLimitException">The template nests deeper than <see cref="DefaultMaxNestingDepth"/>.</exception>
    public static ChatTemplate Parse(string source, string? bosToken = null, string? eosToken = null, string? modelName = null)
    {
        if (source == null) throw new ArgumentNullException(nameof(source));
        try
        {
            return new ChatTemplate(source, JinjaParser.Parse(source, JinjaLimits.Default), bosToken, eosToken, modelName);
        }
        catch (ChatTemplateLimitException e) when (modelName != null && e.ModelName == null)
        {
            throw e.With(modelName, 0);
        }
    }

    /// <summary>Loop iterations per render by default: far more than any real template needs (they loop over the
    /// messages and tools), few enough to stop in about a second.</summary>
    public const int DefaultMaxLoopIterations = JinjaLimits.DefaultMaxLoopIterations;

    /// <summary>Characters of output, and of any one string the template builds, by default: InvokeModel takes at most
    /// a 25 MB body, so a longer prompt could never be sent.</summary>
    public const int DefaultMaxOutputLength = JinjaLimits.DefaultMaxOutputLength;

    /// <summary>Levels of macros calling macros, of nested blocks, brackets and operators, and of nested values, by
    /// default: real templates nest fewer than ten; a hundred keeps the renderer's recursion far from the end of the stack.</summary>
    public const int DefaultMaxNestingDepth = JinjaLimits.DefaultMaxNestingDepth;

    /// <summary>Wall time of one render by default: real templates render in milliseconds; ten seconds leaves room for
    /// a loaded machine and still ends a runaway template well before a caller's patience (or a request timeout) does.</summary>
    public static readonly TimeSpan DefaultMaxRenderTime = JinjaLimits.DefaultMaxRenderTime;

    /// <summary>Estimated bytes of strings and lists one render may build by default, garbage included: a prompt of
    /// the longest body, copied by a few concatenations, fits; a template that keeps a million big strings does not.</summary>
    public const long DefaultMaxRenderMemory = JinjaLimits.DefaultMaxRenderMemory;

    /// <summary>The model the template belongs to, named in limit errors.</summary>
    public string? ModelName { get; set; }

    public string Source { get; }
    public string? BosToken { get; }
    public string? EosToken { get; }

    /// <summary>The file the template was read from (chat_template.jinja or tokenizer_config.json), when ChatTemplateSource read it.</summary>
    public string? SourceFile { get; internal set; }

    /// <summary>Clock for strftime_now (Llama 3.2+ templates print today's date); UTC now by default.</summary>
    public Func<DateTime> Clock { get; set; } = () => DateTime.UtcNow;

    /// <summary>Loop iterations one render may run before it fails (a template comes from a model folder and must not
    /// hang the session); also the most items one list the template builds may have.</summary>
    public int MaxLoopIterations { get; set; } = DefaultMaxLoopIterations;

    /// <summary>Characters the rendered prompt, and any one string the template builds, may have.</summary>
    public int MaxOutputLength { get; set; } = DefaultMaxOutputLength;

    /// <summary>How deep macros may call macros, and values (lists in lists) may nest while printed or compared, in a
    /// render. Parsing bounds blocks, brackets and operators at <see cref="DefaultMaxNestingDepth"/>.</summary>
    public int MaxNestingDepth { get; set; } = DefaultMaxNestingDepth;

    /// <summary>Wall time one render may take; checked at every loop iteration and macro call.</summary>
    public TimeSpan MaxRenderTime { get; set; } = DefaultMaxRenderTime;

    /// <summary>Estimated bytes of the strings and lists one render may build (each counted when an operator, filter,
    /// call, slice, literal or captured block yields it), so that no template can fill the session's memory.</summary>
    public long MaxRenderMemory { get; set; } = DefaultMaxRenderMemory;

    /// <summary>Renders a conversation.</summary>
    /// <param name="variables">Extra template variables (tools, enable_thinking, date_string, ...); .NET dictionaries,
    /// lists, strings, numbers and booleans are accepted.</param>
    /// <exception cref="ChatTemplateRaisedException">The template called raise_exception (for example Mistral on
    /// roles that do not alternate).</exception>
    /// <exception cref="ChatTemplateLimitException">The template went past MaxLoopIterations, MaxOutputLength,
    /// MaxNestingDepth, MaxRenderTime or MaxRenderMemory.</exception>
    /// <exception cref="ChatTemplateException">Rendering failed (unknown filter, type error, ...).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? variables = null,
        CancellationToken cancellationToken = default)
    {
        if (messages == null) throw new ArgumentNullException(nameof(messages));
        var limits = new JinjaLimits(MaxLoopIterations, MaxOutputLength, MaxNestingDepth, MaxRenderTime, Math.Min(MaxRenderMemory, long.MaxValue - 1));
        var previous = limits.Enter();
        try
        {
            return RenderWithin(limits, messages, addGenerationPrompt, variables, cancellationToken);
        }
        catch (ChatTemplateLimitException e) when (ModelName != null && e.ModelName == null)
        {
            throw e.With(ModelName, 0);
        }
        finally
        {
            JinjaLimits.Restore(previous);
        }
    }

    private string RenderWithin(JinjaLimits limits, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt,
        IReadOnlyDictionary<string, object?>? variables, CancellationToken cancellationToken)
    {
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
        Node.RenderAll(_nodes, new RenderContext(scope, Clock, limits, new RenderClock(MaxRenderTime, cancellationToken)), output);
        return output.ToString();
    }
}
