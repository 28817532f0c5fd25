using System.Diagnostics;
using System.Globalization;
using System.Security;
using System.Text.Json;

namespace BedrockImport.Engine.LocalEndpoint;

/// <summary>What a running local endpoint tells its caller: where it listens and the test credentials it accepts.</summary>
public sealed class LocalEndpointInfo
{
    public string EndpointUrl { get; set; } = "";
    /// <summary>A second, HTTP/2-only (h2c) port, for clients that speak HTTP/2 with prior knowledge (the JS SDK's runtime client).</summary>
    public string Http2Url { get; set; } = "";
    public string Region { get; set; } = "";
    public string AccessKey { get; set; } = "";
    /// <summary>The endpoint's test secret (by default AWS's documented example key, not a real secret).</summary>
    public string SecretKey { get; set; } = "";
    /// <summary>The Bedrock API key this endpoint issued at start (random, shaped like a long-term key: "ABSK" + base64).
    /// Bedrock and Bedrock Runtime accept it as "Authorization: Bearer"; pass it to -BearerToken as it is. A SecureString,
    /// unlike the well-known test keys above, because it is a fresh secret.</summary>
    public SecureString? BearerToken { get; set; }
    public int ProcessId { get; set; }
    public string DataPath { get; set; } = "";

    public override string ToString() => EndpointUrl;
}

/// <summary>Runs the local endpoint shipped in the module folder as a child process.</summary>
public static class LocalEndpointProcess
{
    private static readonly Dictionary<int, Process> Started = new Dictionary<int, Process>();

    public static async Task<LocalEndpointInfo> StartAsync(string endpointAssembly, int port, string dataPath,
        string? configPath, TimeSpan startTimeout, CancellationToken cancellationToken)
    {
        if (!File.Exists(endpointAssembly))
        {
            throw new FileNotFoundException($"The local endpoint is not in the module folder: '{endpointAssembly}'. Rebuild the module with build.ps1.", endpointAssembly);
        }

        Directory.CreateDirectory(dataPath);
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        var arguments = new List<string> { endpointAssembly, "--port", port.ToString(CultureInfo.InvariantCulture), "--data", dataPath,
            "--parent-pid", Process.GetCurrentProcess().Id.ToString(CultureInfo.InvariantCulture) };
        if (configPath != null)
        {
            arguments.Add("--config");
            arguments.Add(configPath);
        }

        start.Arguments = string.Join(" ", arguments.ConvertAll(Quote));

        var process = Process.Start(start) ?? throw new InvalidOperationException("The local endpoint process did not start.");
        var errors = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginErrorReadLine();

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout);
        try
        {
            while (true)
            {
                var line = await ReadLineAsync(process.StandardOutput, timeout.Token).ConfigureAwait(false);
                if (line == null)
                {
                    throw new InvalidOperationException("The local endpoint exited before it was ready: " + Tail(errors));
                }

                if (line.StartsWith("{", StringComparison.Ordinal))
                {
                    var info = Parse(line, process.Id, dataPath);
                    lock (Started)
                    {
                        Started[process.Id] = process;
                    }

                    DrainInBackground(process.StandardOutput);
                    return info;
                }
            }
        }
        catch
        {
            TryKill(process);
            throw;
        }
    }

    /// <summary>Stops an endpoint this session started (or any process id given). Returns false if it was not running.</summary>
    public static bool Stop(int processId)
    {
        Process? process;
        lock (Started)
        {
            Started.TryGetValue(processId, out process);
            Started.Remove(processId);
        }

        if (process == null)
        {
            try
            {
                process = Process.GetProcessById(processId);
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        return TryKill(process);
    }

    public static IReadOnlyList<int> StartedProcessIds()
    {
        lock (Started)
        {
            return new List<int>(Started.Keys);
        }
    }

    private static LocalEndpointInfo Parse(string line, int processId, string dataPath)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        string Read(params string[] names)
        {
            foreach (var name in names)
            {
                if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                {
                    return value.GetString() ?? "";
                }
            }

            return "";
        }

        return new LocalEndpointInfo
        {
            EndpointUrl = Read("url", "endpointUrl"),
            Http2Url = Read("http2Url"),
            Region = Read("region"),
            AccessKey = Read("accessKeyId", "accessKey"),
            SecretKey = Read("secretAccessKey", "secretKey"),
            BearerToken = ToSecureString(Read("bearerToken")),
            ProcessId = processId,
            DataPath = dataPath,
        };
    }

    private static SecureString? ToSecureString(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        var secure = new SecureString();
        foreach (var c in value)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    private static string DotnetHost()
    {
        var fromHost = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromHost) && File.Exists(fromHost))
        {
            return fromHost!;
        }

        var current = Process.GetCurrentProcess().MainModule?.FileName;
        if (current != null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }

        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var candidate = root == null ? null : Path.Combine(root, Path.DirectorySeparatorChar == '\\' ? "dotnet.exe" : "dotnet");
        return candidate != null && File.Exists(candidate) ? candidate : "dotnet";
    }

    private static async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var read = reader.ReadLineAsync();
        var winner = await Task.WhenAny(read, Task.Delay(Timeout.Infinite, cancellationToken)).ConfigureAwait(false);
        if (winner != read)
        {
            throw new TimeoutException("The local endpoint did not report that it was ready in time.");
        }

        return await read.ConfigureAwait(false);
    }

    private static string Quote(string argument)
        => argument.Length > 0 && argument.IndexOfAny(new[] { ' ', '"', '\t' }) < 0 ? argument : "\"" + argument.Replace("\"", "\\\"") + "\"";

    private static void DrainInBackground(StreamReader output)
        => _ = Task.Run(async () =>
        {
            try
            {
                while (await output.ReadLineAsync().ConfigureAwait(false) != null)
                {
                }
            }
            catch (IOException)
            {
            }
        });

    private static bool TryKill(Process process)
    {
        try
        {
            if (process.HasExited)
            {
                return false;
            }

            process.Kill();
            process.WaitForExit(5000);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static string Tail(System.Text.StringBuilder errors)
    {
        lock (errors)
        {
            var text = errors.ToString().Trim();
            return text.Length > 2000 ? text.Substring(text.Length - 2000) : (text.Length == 0 ? "(no output)" : text);
        }
    }
}
