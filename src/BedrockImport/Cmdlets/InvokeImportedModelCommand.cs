using System.Management.Automation;
using BedrockImport.Engine.Invocation;
using BedrockImport.Infrastructure;

namespace BedrockImport.Cmdlets;

/// <summary>Invokes an imported model with prompts, messages or a raw body; one request per piped prompt, optionally
/// several at once with output in input order; stop sequences enforced even when the service ignores them.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "ImportedModel", DefaultParameterSetName = PromptSet)]
[OutputType(typeof(InvocationResult))]
public sealed class InvokeImportedModelCommand : ImportedModelCmdlet
{
    private const string PromptSet = "Prompt";
    private const string MessagesSet = "Messages";
    private const string BodySet = "Body";

    [Parameter(ParameterSetName = PromptSet, Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    public string[] Prompt { get; set; } = Array.Empty<string>();

    /// <summary>A conversation: hashtables or objects with role (system, user, assistant) and content.</summary>
    [Parameter(ParameterSetName = MessagesSet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Message")]
    public object[] Messages { get; set; } = Array.Empty<object>();

    /// <summary>A caller-built JSON body (string, hashtable or object), sent as is.</summary>
    [Parameter(ParameterSetName = BodySet, Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public object? Body { get; set; }

    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    public string? SystemPrompt { get; set; }

    /// <summary>Carried to the output, to match answers to inputs (binds from CSV or JSONL rows).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public object? Id { get; set; }

    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    [EnumName(typeof(BodyFormat)), ValidateEnumName]
    public BodyFormat? Format { get; set; }

    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    [ValidateRange(1, 1_000_000)]
    public int? MaxTokens { get; set; }

    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    [ValidateRange(0.0, 2.0)]
    public double? Temperature { get; set; }

    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    [ValidateRange(0.0, 1.0)]
    public double? TopP { get; set; }

    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    [ValidateRange(1, int.MaxValue)]
    public int? TopK { get; set; }

    /// <summary>Keeps the stop sequence at the end of the completion (it is dropped by default).</summary>
    [Parameter]
    public SwitchParameter IncludeStopSequence { get; set; }

    /// <summary>Streams the answer (InvokeModelWithResponseStream), writing text to the host as it arrives.</summary>
    [Parameter]
    public SwitchParameter Stream { get; set; }

    /// <summary>How many requests run at once; output stays in input order.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 1;

    /// <summary>Retries of a throttled, failed (5xx) or dropped request, as Invoke-RestMethod's parameter of that name.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int MaximumRetryCount { get; set; } = 4;

    /// <summary>Never renders messages with the model's chat template.</summary>
    [Parameter(ParameterSetName = MessagesSet)]
    public SwitchParameter NoChatTemplate { get; set; }

    /// <summary>Tools the model may call (JSON-schema function definitions: hashtables, objects or JSON strings).</summary>
    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    public object[]? Tool { get; set; }

    /// <summary>Whether and which tool the model must call: auto (the model decides), any (it must call one), none, or a tool's name.</summary>
    [Parameter(ParameterSetName = PromptSet)]
    [Parameter(ParameterSetName = MessagesSet)]
    public string? ToolChoice { get; set; }

    private readonly Queue<Pending> _pending = new Queue<Pending>();
    private SemaphoreSlim? _slots;

    private sealed class Pending
    {
        public Pending(object target, Task<InvocationResult> work)
        {
            Target = target;
            Work = work;
        }

        public object Target { get; }
        public Task<InvocationResult> Work { get; }
    }

    protected override async Task ProcessRecordAsync()
    {
        var modelId = ModelId;
        if (!TryResolveApi(modelId, out var api))
        {
            return;
        }

        var invoker = Invoker(MaximumRetryCount);
        // A name is resolved here, one record at a time: the requests of a batch then find it remembered (one lookup,
        // not one per request in flight), and a name of no model fails before any request is queued.
        if (ModelIdentifier.Classify(modelId).IsImported())
        {
            await invoker.ResolveModelArnAsync(modelId, CancellationToken).ConfigureAwait(false);
        }

        var showText = Stream && ThrottleLimit == 1;
        var id = Id?.ToString();

        // Everything bound for this record is captured now: with -ThrottleLimit the work runs after later records bind.
        foreach (var item in WorkItems())
        {
            var work = api == RuntimeApi.Converse
                ? ConverseAsync(invoker, modelId, item, showText, id)
                : RunAsync(invoker, modelId, item, showText, id);
            _pending.Enqueue(new Pending(item.Target, work));
            // Up to ThrottleLimit requests run (the semaphore); a few times more may wait or be done, so one slow
            // request at the head of the output order does not idle the other slots.
            await FlushAsync(keep: ThrottleLimit == 1 ? 0 : ThrottleLimit * 4).ConfigureAwait(false);
        }
    }

    protected override Task EndProcessingAsync() => FlushAsync(keep: 0);

    /// <summary>Writes finished results in input order, waiting for the oldest while more than <paramref name="keep"/> are in flight.</summary>
    private async Task FlushAsync(int keep)
    {
        while (_pending.Count > 0 && (_pending.Count > keep || _pending.Peek().Work.IsCompleted))
        {
            var next = _pending.Dequeue();
            try
            {
                WriteObject(await next.Work.ConfigureAwait(false));
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception exception)
            {
                WriteError(ErrorRecords.From(exception, next.Target, Redact));
            }
        }
    }

    /// <summary>One request to send: a raw body, or a request to build (after loading the chat template if it may need one).</summary>
    private sealed class WorkItem
    {
        public WorkItem(object target, InvocationRequest? request, object? body, bool mayUseTemplate)
        {
            Target = target;
            Request = request;
            Body = body;
            MayUseTemplate = mayUseTemplate;
        }

        public object Target { get; }
        public InvocationRequest? Request { get; }
        public object? Body { get; }
        public bool MayUseTemplate { get; }
    }

    private IEnumerable<WorkItem> WorkItems()
    {
        switch (ParameterSetName)
        {
            case BodySet:
                var body = Body is PSObject wrapped && !(wrapped.BaseObject is PSCustomObject) ? wrapped.BaseObject : Body;
                yield return new WorkItem(body ?? "", null, body, false);
                break;

            case MessagesSet:
                var request = Request(null, Messages.Select(PlainValues.ToChatMessage).ToList());
                yield return new WorkItem(Messages, request, null, !NoChatTemplate && request.Format != InvocationFormat.OpenAIChat);
                break;

            default:
                foreach (var prompt in Prompt)
                {
                    var promptRequest = Request(prompt, null);
                    yield return new WorkItem(prompt, promptRequest, null, SystemPrompt != null && promptRequest.Format != InvocationFormat.OpenAIChat);
                }

                break;
        }
    }

    private InvocationRequest Request(string? prompt, IReadOnlyList<ChatMessage>? messages) => new InvocationRequest
    {
        Format = Format.ToEngine(),
        Prompt = prompt,
        Messages = messages,
        SystemPrompt = SystemPrompt,
        MaxTokens = MaxTokens,
        Temperature = Temperature,
        TopP = TopP,
        TopK = TopK,
        StopSequences = StopSequence,
        Tools = ToolArguments.From(Tool),
        ToolChoice = ToolChoice,
    };

    private static PreparedInvocation FromBody(object? body) => InvocationRequestBuilder.FromBody(BodyBytes(body));

    private static byte[] BodyBytes(object? body) => body switch
    {
        byte[] bytes => bytes,
        string json => System.Text.Encoding.UTF8.GetBytes(json),
        _ => System.Text.Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(PlainValues.From(body))),
    };

    /// <summary>The API for this model (-Api, or what the model id implies). A foundation model with -Api InvokeModel,
    /// or a parameter that only means something to InvokeModel bodies, is a parameter error for this record.</summary>
    private bool TryResolveApi(string modelId, out RuntimeApi api)
    {
        try
        {
            api = ModelIdentifier.ResolveApi(modelId, Api.ToEngine());
        }
        catch (InvocationValidationException error)
        {
            api = RuntimeApi.InvokeModel;
            WriteError(ErrorRecords.Argument("InvokeModelNeedsImportedModel", error.Message, modelId));
            return false;
        }

        var invokeOnly = Format != null ? "-Format" : NoChatTemplate ? "-NoChatTemplate" : null;
        if (api == RuntimeApi.Converse && invokeOnly != null)
        {
            WriteError(ErrorRecords.Argument("ParameterNotForConverse",
                $"{invokeOnly} shapes InvokeModel bodies and means nothing to Converse, where the service renders the messages with the " +
                $"model's own chat template. Omit {invokeOnly}, or use -Api InvokeModel with an imported model.", modelId));
            return false;
        }

        return true;
    }

    /// <summary>One Converse request: built from the prompt or messages, or a caller-built Converse body. An imported
    /// model goes by its ARN (a name is resolved as for InvokeModel); any other model id is sent as given.</summary>
    private async Task<InvocationResult> ConverseAsync(ImportedModelInvoker invoker, string modelId, WorkItem item, bool showText, string? id)
    {
        _slots ??= new SemaphoreSlim(ThrottleLimit, ThrottleLimit);
        await _slots.WaitAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            Task<InvocationResult> Send(string target)
            {
                var request = item.Request != null ? ConverseInvocation.Build(target, item.Request) : ConverseInvocation.FromBody(target, BodyBytes(item.Body));
                var stops = new StopSequenceSet(request.InferenceConfig?.StopSequences, IncludeStopSequence);
                return invoker.ConverseAsync(request, stops, Stream, showText ? WriteText : null, CancellationToken);
            }

            var result = ModelIdentifier.Classify(modelId).IsImported()
                ? await invoker.WithModelAsync(modelId, Send, CancellationToken).ConfigureAwait(false)
                : await Send(modelId).ConfigureAwait(false);
            Finish(showText);
            result.Id = id;
            return result;
        }
        finally
        {
            _slots.Release();
        }
    }

    private void Finish(bool showText)
    {
        if (showText)
        {
            WriteText(Environment.NewLine);
        }

        ColdStartOver();
    }

    private async Task<InvocationResult> RunAsync(ImportedModelInvoker invoker, string modelId, WorkItem item,
        bool showText, string? id)
    {
        _slots ??= new SemaphoreSlim(ThrottleLimit, ThrottleLimit);
        await _slots.WaitAsync(CancellationToken).ConfigureAwait(false);
        try
        {
            var result = await invoker.WithModelAsync(modelId, async modelArn =>
            {
                if (item.Request != null && item.MayUseTemplate)
                {
                    item.Request.ChatTemplate = await invoker.GetChatTemplateAsync(modelArn, CancellationToken).ConfigureAwait(false);
                }

                var prepared = item.Request != null ? InvocationRequestBuilder.Build(item.Request) : FromBody(item.Body);
                var stops = new StopSequenceSet(prepared.StopSequences, IncludeStopSequence);
                return await invoker.InvokeAsync(modelArn, prepared, stops, Stream, showText ? WriteText : null, CancellationToken).ConfigureAwait(false);
            }, CancellationToken).ConfigureAwait(false);
            Finish(showText);
            result.Id = id;
            return result;
        }
        finally
        {
            _slots.Release();
        }
    }

    private static readonly string[] HostTag = { "PSHOST" };

    private void WriteText(string text)
        => WriteInformation(new HostInformationMessage { Message = text, NoNewLine = true }, HostTag);
}
