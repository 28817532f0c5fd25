using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace BedrockImport.Engine.Invocation.Jinja;

/// <summary>The bounds of one parse or render of a chat template (a program from a model's repository). Values and
/// their reasons are on <see cref="ChatTemplate"/>'s properties. The helpers that build strings and lists have no render
/// context at hand, so the limits of the render under way on this thread are <see cref="Current"/>.</summary>
internal sealed class JinjaLimits
{
    public const int DefaultMaxLoopIterations = 1_000_000;
    public const int DefaultMaxOutputLength = ImportedModelInvoker.MaxBodyBytes;
    public const int DefaultMaxNestingDepth = 100;
    public static readonly TimeSpan DefaultMaxRenderTime = TimeSpan.FromSeconds(10);
    public const long DefaultMaxRenderMemory = 512L * 1024 * 1024;

    /// <summary>Estimated bytes a string character and a list or dict item take on the heap.</summary>
    private const long BytesPerCharacter = 2, BytesPerItem = 32;

    /// <summary>The limits outside a render (parsing): nothing is built there, so it keeps no memory count (and is
    /// shared by every thread).</summary>
    public static readonly JinjaLimits Default = new JinjaLimits(DefaultMaxLoopIterations, DefaultMaxOutputLength, DefaultMaxNestingDepth, DefaultMaxRenderTime, long.MaxValue);

    private readonly bool _countsMemory;
    private long _memoryBuilt;

    [ThreadStatic] private static JinjaLimits? _current;

    /// <param name="maxRenderMemory">Bytes of strings and lists one render may build; long.MaxValue for no count.</param>
    public JinjaLimits(int maxLoopIterations, int maxOutputLength, int maxNestingDepth, TimeSpan maxRenderTime, long maxRenderMemory)
    {
        MaxLoopIterations = maxLoopIterations;
        MaxOutputLength = maxOutputLength;
        MaxNestingDepth = maxNestingDepth;
        MaxRenderTime = maxRenderTime;
        MaxRenderMemory = maxRenderMemory;
        _countsMemory = maxRenderMemory != long.MaxValue;
    }

    public int MaxLoopIterations { get; }
    public int MaxOutputLength { get; }
    public int MaxNestingDepth { get; }
    public TimeSpan MaxRenderTime { get; }
    public long MaxRenderMemory { get; }

    /// <summary>The limits of the render running on this thread (the defaults outside one).</summary>
    public static JinjaLimits Current => _current ?? Default;

    /// <summary>Makes these the thread's limits until the returned value is restored with <see cref="Restore"/>.</summary>
    public JinjaLimits? Enter()
    {
        var previous = _current;
        _current = this;
        return previous;
    }

    public static void Restore(JinjaLimits? previous) => _current = previous;

    /// <summary>Throws when a string or list of <paramref name="length"/> characters or items would be too long.</summary>
    public void CheckLength(long length, int line = 0)
    {
        if (length > MaxOutputLength) throw new ChatTemplateLimitException(ChatTemplateLimit.OutputLength, MaxOutputLength, null, line);
    }

    /// <summary>Checks a value a filter, method, operator, slice, literal or captured block made: a string against
    /// MaxOutputLength, a list against the loop limit, and either against the memory the render may build.</summary>
    public object? CheckValue(object? value, int line)
    {
        switch (value)
        {
            case string s:
                CheckLength(s.Length, line);
                Charge(s.Length * BytesPerCharacter, line);
                break;
            case List<object?> list:
                CheckItems(list.Count, line);
                Charge(list.Count * BytesPerItem, line);
                break;
            case Dictionary<string, object?> dict:
                // Keys can be long: str() of any value (a list printed to millions of characters).
                long bytes = dict.Count * BytesPerItem * 2;
                foreach (var key in dict.Keys) bytes += key.Length * BytesPerCharacter;
                Charge(bytes, line);
                break;
        }
        return value;
    }

    /// <summary>Counts bytes the render built. Each string and list is bounded on its own, but a template can keep a
    /// million of them (in a list, a namespace): the count, garbage included, bounds what it can hold at once. The
    /// estimate counts a value each time an expression yields a new one, so it runs high, never low.</summary>
    private void Charge(long bytes, int line)
    {
        if (!_countsMemory) return;
        _memoryBuilt += bytes;
        if (_memoryBuilt > MaxRenderMemory)
            throw new ChatTemplateLimitException(ChatTemplateLimit.Memory, MaxRenderMemory, null, line);
    }

    /// <summary>Throws when a list of <paramref name="count"/> items would be too long: longer than the loop limit, since
    /// no loop could walk it.</summary>
    public void CheckItems(long count, int line = 0)
    {
        if (count > MaxLoopIterations) throw new ChatTemplateLimitException(ChatTemplateLimit.ListLength, MaxLoopIterations, null, line);
    }

    /// <summary>Throws when <paramref name="depth"/> levels are too many, or when the thread's stack is nearly used up
    /// (a render on a small-stack thread must fail cleanly too, never overflow the stack).</summary>
    public void CheckDepth(int depth, int line = 0)
    {
        if (depth > MaxNestingDepth || !HasStackLeft())
            throw new ChatTemplateLimitException(ChatTemplateLimit.NestingDepth, MaxNestingDepth, null, line);
    }

    private static bool HasStackLeft()
    {
        try
        {
            RuntimeHelpers.EnsureSufficientExecutionStack();
            return true;
        }
        catch (InsufficientExecutionStackException)
        {
            return false;
        }
    }
}

/// <summary>The wall-time bound of one render, and the caller's cancellation.</summary>
internal sealed class RenderClock
{
    private readonly long _deadline;
    private readonly long _limitMilliseconds;
    private readonly CancellationToken _cancellationToken;

    public RenderClock(TimeSpan maxRenderTime, CancellationToken cancellationToken)
    {
        _limitMilliseconds = (long)maxRenderTime.TotalMilliseconds;
        var ticks = maxRenderTime.TotalSeconds * Stopwatch.Frequency;
        _deadline = ticks >= long.MaxValue / 2 ? long.MaxValue : Stopwatch.GetTimestamp() + (long)ticks;
        _cancellationToken = cancellationToken;
    }

    public void Check(int line)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        if (Stopwatch.GetTimestamp() > _deadline)
            throw new ChatTemplateLimitException(ChatTemplateLimit.RenderTime, _limitMilliseconds, null, line);
    }
}
