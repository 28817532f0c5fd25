using BedrockImport.LocalEndpoint.Hosting;

namespace BedrockImport.LocalEndpoint.Knobs;

/// <summary>How a service words the faults <see cref="FaultInjector"/> injects into its calls.</summary>
public sealed class FaultAnswers
{
    public static FaultAnswers S3Xml { get; } = new(
        context => AwsErrors.WriteS3ErrorAsync(context, 503, "SlowDown", "Please reduce your request rate."),
        context => AwsErrors.WriteS3ErrorAsync(context, 500, "InternalError", "We encountered an internal error. Please try again."));

    public static FaultAnswers Json { get; } = new(
        context => AwsErrors.WriteJsonErrorAsync(context, 429, "ThrottlingException", "Too many requests, please wait before trying again."),
        context => AwsErrors.WriteJsonErrorAsync(context, 500, "InternalServerException", "An internal server error occurred. Retry your request."));

    public FaultAnswers(Func<HttpContext, Task> throttle, Func<HttpContext, Task> internalError, Action<HttpContext, FaultKind>? answered = null)
    {
        Throttle = throttle;
        InternalError = internalError;
        Answered = answered;
    }

    public static FaultAnswers For(ErrorStyle style) => style == ErrorStyle.S3Xml ? S3Xml : Json;

    /// <summary>Writes the answer to a throttled call.</summary>
    public Func<HttpContext, Task> Throttle { get; }

    /// <summary>Writes the answer to a call that fails with an internal error.</summary>
    public Func<HttpContext, Task> InternalError { get; }

    /// <summary>Runs once a fault was answered, before a dropped connection is aborted (the Hub mirror records it).</summary>
    public Action<HttpContext, FaultKind>? Answered { get; }
}
