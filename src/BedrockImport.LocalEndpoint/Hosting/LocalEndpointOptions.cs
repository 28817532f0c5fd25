using System.Net;

namespace BedrockImport.LocalEndpoint.Hosting;

/// <summary>An access key pair the endpoint accepts.</summary>
public sealed class AccessKeyPair
{
    public string AccessKeyId { get; set; } = "";

    public string SecretAccessKey { get; set; } = "";

    public override string ToString() => AccessKeyId;
}

public sealed class LocalEndpointOptions
{
    /// <summary>AWS's documented example pair; the default test credentials of the local endpoint.</summary>
    public const string DefaultAccessKeyId = "AKIAIOSFODNN7EXAMPLE";

    public const string DefaultSecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    /// <summary>The HTTP/1.1 port; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>The cleartext HTTP/2 (h2c prior knowledge) port serving the same handlers; 0 picks a free port.</summary>
    public int Http2Port { get; set; }

    /// <summary>Folder for all state (buckets, objects, uploads, knobs, service state). Required.</summary>
    public string DataDirectory { get; set; } = "";

    /// <summary>Optional JSON config file (credentials + knobs).</summary>
    public string? ConfigFile { get; set; }

    public IPAddress ListenAddress { get; set; } = IPAddress.Loopback;

    /// <summary>Must be true to listen on anything but a loopback address.</summary>
    public bool AllowRemote { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary>The first pair is the one reported as the endpoint's credentials; null = the default test pair.</summary>
    public List<AccessKeyPair>? Credentials { get; set; }

    /// <summary>The Bedrock API key to accept as "Authorization: Bearer" on the Bedrock routes; null = a new random one
    /// issued at start (LocalEndpointServer.BearerToken).</summary>
    public string? BearerToken { get; set; }

    /// <summary>Server clock (SigV4 skew checks, timestamps). Tests may inject one.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>How knob latency is waited; tests may replace it to record delays instead of sleeping.</summary>
    public Func<TimeSpan, CancellationToken, Task>? Delay { get; set; }

    /// <summary>Extra registrations after the built-in ones (tests add fake services here).</summary>
    internal Action<ServiceRegistry, EndpointContext>? ConfigureServices { get; set; }

    public override string ToString() => $"LocalEndpointOptions(Port={Port}, Http2Port={Http2Port}, Data={DataDirectory})";
}
