using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;

// Uploads a folder with TransferUtility.UploadDirectoryAsync and its defaults (part size, concurrency, flexible checksums,
// and aws-chunked payload signing wherever the SDK chooses it), then prints one JSON line: files, bytes, seconds, cpuMs, peakRssBytes.
// Usage: TransferUtilityPeer ENDPOINT.json FOLDER BUCKET PREFIX
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length != 4)
        {
            Console.Error.WriteLine("usage: TransferUtilityPeer ENDPOINT.json FOLDER BUCKET PREFIX");
            return 2;
        }

        using var endpoint = JsonDocument.Parse(File.ReadAllText(args[0]));
        string Setting(string name) => endpoint.RootElement.GetProperty(name).GetString() ?? "";
        var folder = args[1];
        var bucket = args[2];
        var prefix = args[3];

        var config = new AmazonS3Config
        {
            ServiceURL = Setting("endpointUrl"),
            AuthenticationRegion = Setting("region"),
            ForcePathStyle = true,
        };
        using var s3 = new AmazonS3Client(new BasicAWSCredentials(Setting("accessKey"), Setting("secretKey")), config);
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "BucketAlreadyOwnedByYou" || e.StatusCode == HttpStatusCode.Conflict)
        {
        }

        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories);
        var bytes = files.Sum(f => new FileInfo(f).Length);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        using (var transfer = new TransferUtility(s3))
        {
            await transfer.UploadDirectoryAsync(new TransferUtilityUploadDirectoryRequest
            {
                Directory = folder,
                BucketName = bucket,
                KeyPrefix = prefix,
                SearchOption = SearchOption.AllDirectories,
                SearchPattern = "*",
            }).ConfigureAwait(false);
        }
        clock.Stop();
        process.Refresh();
        var cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds;

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            files = files.Length,
            bytes,
            seconds = clock.Elapsed.TotalSeconds,
            cpuMs,
            peakRssBytes = PeakRssBytes(),
        }));
        return 0;
    }

    private static long? PeakRssBytes()
    {
        var match = Regex.Match(File.ReadAllText("/proc/self/status"), @"^VmHWM:\s+(\d+)\s+kB", RegexOptions.Multiline);
        return match.Success ? long.Parse(match.Groups[1].Value) * 1024 : null;
    }
}
