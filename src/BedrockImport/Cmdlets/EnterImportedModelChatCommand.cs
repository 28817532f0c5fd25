using System.Management.Automation;
using System.Text;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Wire;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>An interactive console chat with an imported model, like `ollama run`: streamed replies, history kept,
/// slash commands, multi-line input, Ctrl+C stops the current reply without leaving.</summary>
[Cmdlet(VerbsCommon.Enter, "ImportedModelChat")]
[OutputType(typeof(void))]
public sealed class EnterImportedModelChatCommand : ImportedModelCmdlet
{
    /// <summary>A line holding only this character stands for Ctrl+C when input is redirected (scripted sessions, tests).</summary>
    private const string RedirectedInterrupt = "\u0003";
    private const string MultiLineFence = "\"\"\"";

    [Parameter]
    public string? SystemPrompt { get; set; }

    [Parameter]
    [ValidateRange(0.0, 2.0)]
    public double? Temperature { get; set; }

    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int? MaxTokens { get; set; }

    [Parameter]
    [EnumName(typeof(BodyFormat)), ValidateEnumName]
    public BodyFormat? Format { get; set; }

    private IChatInput? _input;
    private bool _converse;

    protected override async Task ProcessRecordAsync()
    {
        RuntimeApi api;
        try
        {
            api = ModelIdentifier.ResolveApi(ModelId, Api.ToEngine());
        }
        catch (InvocationValidationException error)
        {
            WriteError(ErrorRecords.Argument("InvokeModelNeedsImportedModel", error.Message, ModelId));
            return;
        }

        if (api == RuntimeApi.Converse && Format != null)
        {
            WriteError(ErrorRecords.Argument("ParameterNotForConverse",
                "-Format shapes InvokeModel bodies and means nothing to Converse, where the service renders the messages with the model's own " +
                "chat template. Omit -Format, or use -Api InvokeModel with an imported model.", ModelId));
            return;
        }

        _converse = api == RuntimeApi.Converse;
        using var invoker = new ImportedModelInvoker(ResolveSession(), new RetryOptions { ColdStartBudget = TimeSpan.FromSeconds(MaxColdStartWait) }, Log);
        var format = Format.ToEngine();
        // The template is read before the chat starts, so a problem with it is said first; each reply takes it from the cache.
        // With Converse the service renders the conversation, so only the name is resolved (a foundation model not even that).
        var modelArn = !ModelIdentifier.Classify(ModelId).IsImported() ? ModelId : await invoker.WithModelAsync(ModelId, async arn =>
        {
            if (!_converse)
            {
                await TemplateAsync(invoker, arn, format, CancellationToken).ConfigureAwait(false);
            }

            return arn;
        }, CancellationToken).ConfigureAwait(false);
        var session = new ChatSession(modelArn) { SystemPrompt = SystemPrompt, Temperature = Temperature, MaxTokens = MaxTokens };
        _input = Console.IsInputRedirected ? new RedirectedChatInput() : await OpenConsoleInputAsync().ConfigureAwait(false);
        try
        {
            Say($"Chatting with {ModelId}. /help for commands, /bye to leave.");
            while (!CancellationToken.IsCancellationRequested)
            {
                var message = ReadMessage();
                if (message == null)
                {
                    break;
                }

                if (message.Trim().Length == 0)
                {
                    continue;
                }

                var outcome = session.Handle(message, path => GetUnresolvedProviderPathFromPSPath(path));
                if (outcome != ChatCommandOutcome.Message)
                {
                    Say(session.Feedback);
                    if (outcome == ChatCommandOutcome.Leave)
                    {
                        break;
                    }

                    continue;
                }

                await ReplyAsync(invoker, session, format, message).ConfigureAwait(false);
            }
        }
        finally
        {
            _input.Dispose();
        }
    }

    private static Task<ChatTemplate?> TemplateAsync(ImportedModelInvoker invoker, string modelArn, InvocationFormat? format,
        CancellationToken cancellationToken)
        => format == InvocationFormat.OpenAIChat ? Task.FromResult<ChatTemplate?>(null) : invoker.GetChatTemplateAsync(modelArn, cancellationToken);

    private async Task ReplyAsync(ImportedModelInvoker invoker, ChatSession session, InvocationFormat? format, string message)
    {
        var request = new InvocationRequest
        {
            Format = format,
            Messages = session.WithUserMessage(message),
            SystemPrompt = session.SystemPrompt,
            Temperature = session.Temperature,
            MaxTokens = session.MaxTokens,
            StopSequences = StopSequence,
        };
        var shown = new StringBuilder();
        using var reply = CancellationTokenSource.CreateLinkedTokenSource(CancellationToken);
        using var watcher = _input!.WatchForInterrupt(reply.Cancel);
        try
        {
            Action<string> onText = text => { shown.Append(text); Write(text); };
            var result = _converse ? await ConverseAsync(invoker, request, onText, reply.Token).ConfigureAwait(false) : await invoker.WithModelAsync(ModelId, async modelArn =>
            {
                request.ChatTemplate = await TemplateAsync(invoker, modelArn, format, reply.Token).ConfigureAwait(false);
                var prepared = InvocationRequestBuilder.Build(request);
                return await invoker.InvokeAsync(modelArn, prepared, new StopSequenceSet(prepared.StopSequences), stream: true,
                    onText, reply.Token).ConfigureAwait(false);
            }, reply.Token).ConfigureAwait(false);
            Write(Environment.NewLine);
            session.Record(message, result.Completion ?? shown.ToString());
        }
        catch (OperationCanceledException) when (!CancellationToken.IsCancellationRequested)
        {
            Write(Environment.NewLine);
            Say("[reply stopped]");
            session.Record(message, shown.ToString());
        }
        catch (Exception error) when (!(error is OperationCanceledException))
        {
            Write(Environment.NewLine);
            WriteError(ErrorRecords.From(error, message, Redact));
        }
    }

    /// <summary>The conversation as Converse messages (ConverseStream), to the model's ARN or the foundation model id.</summary>
    private Task<InvocationResult> ConverseAsync(ImportedModelInvoker invoker, InvocationRequest request, Action<string> onText, CancellationToken cancellationToken)
    {
        Task<InvocationResult> Send(string target)
        {
            var converse = ConverseInvocation.Build(target, request);
            return invoker.ConverseAsync(converse, new StopSequenceSet(request.StopSequences), stream: true, onText, cancellationToken);
        }

        return ModelIdentifier.Classify(ModelId).IsImported() ? invoker.WithModelAsync(ModelId, Send, cancellationToken) : Send(ModelId);
    }

    /// <summary>The terminal's line editor: PSReadLine when it is loaded (history, cursor keys, wide characters, the
    /// user's key bindings), the console host's way (its PSConsoleHostReadLine function); otherwise our own.</summary>
    private async Task<IChatInput> OpenConsoleInputAsync()
    {
        var psReadLine = await AskOnPipelineThread(() =>
            InvokeCommand.GetCommand(PSReadLineInput.ReadLineFunction, CommandTypes.Function) != null ? new PSReadLineInput(this) : null).ConfigureAwait(false);
        if (psReadLine != null)
        {
            return new ConsoleChatInput(psReadLine.ReadLine, psReadLine.Dispose);
        }

        var editor = new ConsoleLineEditor();
        return new ConsoleChatInput(() =>
        {
            var line = editor.ReadLine();
            if (line == ConsoleLineEditor.Interrupted)
            {
                Console.WriteLine("Use /bye or Ctrl+D to leave.");
                return "";
            }

            return line;
        }, () => { });
    }

    private string? ReadMessage()
    {
        Write(">>> ");
        var line = _input!.ReadLine();
        if (line == null || line.Trim() != MultiLineFence && !line.TrimStart().StartsWith(MultiLineFence, StringComparison.Ordinal))
        {
            return line;
        }

        var text = new StringBuilder(line.TrimStart().Substring(MultiLineFence.Length));
        while (true)
        {
            Write("... ");
            var next = _input.ReadLine();
            if (next == null)
            {
                return text.ToString();
            }

            var end = next.IndexOf(MultiLineFence, StringComparison.Ordinal);
            if (end >= 0)
            {
                if (end > 0)
                {
                    AppendLine(text, next.Substring(0, end));
                }

                return text.ToString();
            }

            AppendLine(text, next);
        }
    }

    private static void AppendLine(StringBuilder text, string line)
    {
        if (text.Length > 0)
        {
            text.Append('\n');
        }

        text.Append(line);
    }

    private void Say(string text) => Write(text + Environment.NewLine);

    private void Write(string text) => OnPipelineThread(() => Host.UI.Write(text));

    private interface IChatInput : IDisposable
    {
        string? ReadLine();

        /// <summary>Calls <paramref name="interrupt"/> when the user presses Ctrl+C, until disposed.</summary>
        IDisposable WatchForInterrupt(Action interrupt);
    }

    /// <summary>Scripted input: lines come from standard input. A line holding only U+0003 right after a message is a
    /// Ctrl+C pressed while that message's reply streams (it fires shortly after the reply starts).</summary>
    private sealed class RedirectedChatInput : IChatInput
    {
        private static readonly TimeSpan InterruptDelay = TimeSpan.FromMilliseconds(300);
        private readonly System.Collections.Generic.Queue<string?> _lines = new System.Collections.Generic.Queue<string?>();
        private readonly SemaphoreSlim _available = new SemaphoreSlim(0);

        public RedirectedChatInput()
        {
            var reader = new Thread(() =>
            {
                string? line;
                do
                {
                    line = Console.In.ReadLine();
                    lock (_lines)
                    {
                        _lines.Enqueue(line);
                    }

                    _available.Release();
                }
                while (line != null);
            })
            { IsBackground = true, Name = "Enter-ImportedModelChat input" };
            reader.Start();
        }

        public string? ReadLine()
        {
            _available.Wait();
            lock (_lines)
            {
                var line = _lines.Dequeue();
                if (line == null)
                {
                    _lines.Enqueue(null);
                    _available.Release();
                }

                return line == RedirectedInterrupt ? "" : line;
            }
        }

        public IDisposable WatchForInterrupt(Action interrupt)
        {
            // Wait briefly for the reader to have queued what follows the message; take one count only if we dequeue.
            if (!_available.Wait(TimeSpan.FromMilliseconds(200)))
            {
                return new Callback(() => { });
            }

            bool interrupted;
            lock (_lines)
            {
                interrupted = _lines.Peek() == RedirectedInterrupt;
                if (interrupted)
                {
                    _lines.Dequeue();
                }
                else
                {
                    _available.Release();
                }
            }

            if (interrupted)
            {
                var timer = new Timer(_ => interrupt(), null, InterruptDelay, Timeout.InfiniteTimeSpan);
                return timer;
            }

            return new Callback(() => { });
        }

        public void Dispose() => _available.Dispose();
    }

    /// <summary>PSReadLine's ReadLine, run on the pipeline thread. While the chat lasts, the lines entered go to
    /// PSReadLine's history in memory only (Up recalls them, the history file does not keep them): a conversation is not
    /// a command. PSReadLine answers Ctrl+D on an empty line with "exit", which leaves here too.</summary>
    private sealed class PSReadLineInput : IDisposable
    {
        public const string ReadLineFunction = "PSConsoleHostReadLine";
        private const string KeepHistoryInMemory =
            "$options = Get-PSReadLineOption; $saved = $options.AddToHistoryHandler; " +
            "$options.AddToHistoryHandler = { param([string] $line) [Microsoft.PowerShell.AddToHistoryOption]::MemoryOnly }; ,$saved";
        private const string RestoreHistoryHandler = "param($saved) (Get-PSReadLineOption).AddToHistoryHandler = $saved";
        private readonly EnterImportedModelChatCommand _cmdlet;
        private readonly object? _savedHistoryHandler;
        private bool _left;

        public PSReadLineInput(EnterImportedModelChatCommand cmdlet)
        {
            _cmdlet = cmdlet;
            try
            {
                _savedHistoryHandler = cmdlet.InvokeCommand.InvokeScript(KeepHistoryInMemory).FirstOrDefault()?.BaseObject;
            }
            catch (RuntimeException)
            {
                // An older PSReadLine without the option: its history is what it is.
            }
        }

        public string? ReadLine()
        {
            if (_left)
            {
                return null;
            }

            var line = _cmdlet.AskOnPipelineThread(() => _cmdlet.InvokeCommand.InvokeScript(ReadLineFunction).FirstOrDefault()?.BaseObject as string)
                .GetAwaiter().GetResult();
            if (line == null || line == "exit")
            {
                _left = true;
                return null;
            }

            return line;
        }

        public void Dispose()
        {
            var saved = _savedHistoryHandler;
            _cmdlet.OnPipelineThread(() =>
            {
                try
                {
                    _cmdlet.InvokeCommand.InvokeScript(RestoreHistoryHandler, false, System.Management.Automation.Runspaces.PipelineResultTypes.None, null, saved);
                }
                catch (RuntimeException)
                {
                    // As above: nothing was changed.
                }
            });
        }
    }

    /// <summary>A terminal: Ctrl+C is read as a key while chatting, so it stops a reply instead of the command.</summary>
    private sealed class ConsoleChatInput : IChatInput
    {
        private readonly bool _treatControlCAsInput;
        private readonly Func<string?> _readLine;
        private readonly Action _close;

        public ConsoleChatInput(Func<string?> readLine, Action close)
        {
            _readLine = readLine;
            _close = close;
            _treatControlCAsInput = Console.TreatControlCAsInput;
            Console.TreatControlCAsInput = true;
        }

        public string? ReadLine() => _readLine();

        public IDisposable WatchForInterrupt(Action interrupt)
        {
            var done = new CancellationTokenSource();
            var watcher = Task.Run(async () =>
            {
                try
                {
                    while (!done.IsCancellationRequested)
                    {
                        while (!done.IsCancellationRequested && Console.KeyAvailable)
                        {
                            var key = Console.ReadKey(intercept: true);
                            if (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control))
                            {
                                interrupt();
                                return;
                            }
                        }

                        await Task.Delay(50, done.Token).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            // The watcher must have stopped reading keys before the line editor starts: a key typed just after the
            // reply would otherwise go to the watcher, and two threads reading the console at once confuse its parser.
            return new Callback(() =>
            {
                done.Cancel();
                watcher.Wait();
                done.Dispose();
            });
        }

        public void Dispose()
        {
            Console.TreatControlCAsInput = _treatControlCAsInput;
            _close();
        }
    }

    private sealed class Callback : IDisposable
    {
        private Action? _action;

        public Callback(Action action) => _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }
}
