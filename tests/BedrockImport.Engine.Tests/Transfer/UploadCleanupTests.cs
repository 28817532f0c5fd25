using System.Diagnostics;
using Amazon.S3.Model;
using BedrockImport.Engine.Sources;
using BedrockImport.Engine.Tests.Credentials;
using BedrockImport.Engine.Transfer;
using BedrockImport.Engine.Transfer.Upload;

namespace BedrockImport.Engine.Tests.Transfer;

public class UploadCleanupTests
{
    /// <summary>Ctrl+C while CreateMultipartUpload is in flight: S3 may have created the upload although its answer never
    /// reached the copy. Stopping must abort it too, or it stays open (and its parts billed) with nothing to resume it.</summary>
    [Fact]
    public async Task A_stopped_copy_aborts_the_upload_of_a_create_whose_answer_was_lost_and_leaves_other_keys_alone()
    {
        await using var s3 = await LocalS3.StartAsync();
        var request = s3.Request();
        using var calls = new S3Calls(s3.Session, LocalS3.FastRetry(), new RecordingLog());
        var run = new UploadRun(calls, request, 1, new ProgressTracker(null, 1, 16 * LocalS3.MiB, Stopwatch.StartNew()), new RecordingLog());
        var lost = new FileUpload(new ModelSourceFile("b.safetensors", 16 * LocalS3.MiB), request.Destination.Append("b.safetensors"),
            PartPlan.For(16 * LocalS3.MiB, 5 * LocalS3.MiB));

        using var client = s3.Client();
        // The create that the stop cut short (S3 did it), and an upload of a key this run never tried to create.
        await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = LocalS3.Bucket, Key = lost.Target.Key });
        var unrelated = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = LocalS3.Bucket, Key = "llama/other.safetensors" });
        run.Cleanup.CreationFailed(lost);

        await run.Cleanup.AbortOpenUploadsAsync();

        var left = await s3.ListUploadsAsync();
        Assert.Equal(new[] { unrelated.UploadId }, left.Select(upload => upload.UploadId));
    }
}
