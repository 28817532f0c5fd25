using System.Globalization;
using System.Net;
using System.Text.Json;
using BedrockImport.LocalEndpoint;
using BedrockImport.LocalEndpoint.Hosting;

// dotnet run --project src/BedrockImport.LocalEndpoint -- --port N --data DIR [--http2-port N] [--config FILE]
//     [--listen ADDRESS --allow-remote] [--access-key AK --secret-key SK] [--region R]
// Prints one JSON line on stdout ({url, http2Url, accessKeyId, secretAccessKey, bearerToken, region, pid}) once listening,
// then serves until SIGTERM / Ctrl+C.

// --parent-pid N (passed by Start-BedrockLocalEndpoint): exit when the PowerShell session that started us is gone,
// so no orphaned endpoint outlives it.
args = WatchParentProcess(args);

LocalEndpointOptions options;
try
{
    options = ParseArguments(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine("BedrockImport.LocalEndpoint: " + e.Message);
    Console.Error.WriteLine("usage: --port N --data DIR [--http2-port N] [--config FILE] [--listen ADDRESS --allow-remote] [--access-key AK --secret-key SK] [--region REGION]");
    return 2;
}

LocalEndpointServer server;
try
{
    server = await LocalEndpointServer.StartAsync(options);
}
catch (Exception e) when (e is InvalidOperationException or IOException or JsonException or UnauthorizedAccessException)
{
    Console.Error.WriteLine("BedrockImport.LocalEndpoint: " + e.Message);
    return 1;
}

await using (server)
{
    Console.Out.WriteLine(JsonSerializer.Serialize(new
    {
        url = server.BaseUrl.ToString().TrimEnd('/'),
        http2Url = server.Http2Url.ToString().TrimEnd('/'),
        accessKeyId = server.AccessKeyId,
        secretAccessKey = server.SecretAccessKey,
        bearerToken = server.BearerToken,
        region = server.Region,
        pid = Environment.ProcessId,
    }));
    Console.Out.Flush();
    await server.WaitForShutdownAsync();
}
return 0;

static LocalEndpointOptions ParseArguments(string[] args)
{
    var options = new LocalEndpointOptions();
    string? accessKey = null, secretKey = null;
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
        switch (args[i])
        {
            case "--port":
                options.Port = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535
                    ? port : throw new ArgumentException("--port must be 0..65535.");
                break;
            case "--http2-port":
                options.Http2Port = int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var http2Port) && http2Port <= 65535
                    ? http2Port : throw new ArgumentException("--http2-port must be 0..65535.");
                break;
            case "--data": options.DataDirectory = Value(); break;
            case "--config": options.ConfigFile = Value(); break;
            case "--listen":
                options.ListenAddress = IPAddress.TryParse(Value(), out var address) ? address
                    : throw new ArgumentException("--listen needs an IP address.");
                break;
            case "--allow-remote": options.AllowRemote = true; break;
            case "--access-key": accessKey = Value(); break;
            case "--secret-key": secretKey = Value(); break;
            case "--region": options.Region = Value(); break;
            default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
        }
    }
    if (string.IsNullOrEmpty(options.DataDirectory))
        throw new ArgumentException("--data DIR is required.");
    if ((accessKey is null) != (secretKey is null))
        throw new ArgumentException("--access-key and --secret-key go together.");
    if (accessKey is not null)
        options.Credentials = new List<AccessKeyPair> { new() { AccessKeyId = accessKey, SecretAccessKey = secretKey! } };
    return options;
}

static string[] WatchParentProcess(string[] args)
{
    var index = Array.IndexOf(args, "--parent-pid");
    if (index < 0 || index + 1 >= args.Length || !int.TryParse(args[index + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var parentId))
        return args;
    _ = Task.Run(async () =>
    {
        while (true)
        {
            await Task.Delay(1000).ConfigureAwait(false);
            bool alive;
            try
            {
                using var parent = System.Diagnostics.Process.GetProcessById(parentId);
                alive = !parent.HasExited;
            }
            catch (ArgumentException)
            {
                alive = false;
            }
            if (!alive)
                Environment.Exit(0);
        }
    });
    return args.Where((_, i) => i != index && i != index + 1).ToArray();
}
