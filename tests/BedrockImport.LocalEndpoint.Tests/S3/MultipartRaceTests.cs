#nullable enable
using BedrockImport.LocalEndpoint.S3;

namespace BedrockImport.LocalEndpoint.Tests;

/// <summary>An abort, a part's commit and a completion of the same multipart upload arriving together (the soak's
/// cancelled part followed by its abort): each ends as S3 would answer, and nothing is left on disk.</summary>
public sealed class MultipartRaceTests : IDisposable
{
    private readonly string _root = TestEndpoint.NewDataDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private S3Store NewStore()
    {
        var store = new S3Store(_root, TimeProvider.System);
        store.CreateBucket("race");
        return store;
    }

    private static UploadMetadata Open(S3Store store, string key) => store.CreateUpload(new UploadMetadata { Bucket = "race", Key = key });

    private static string ReceivedBody(S3Store store, int size)
    {
        var temp = store.NewTempPath();
        File.WriteAllBytes(temp, new byte[size]);
        return temp;
    }

    private static PartMetadata Part(int number, int size) => new() { PartNumber = number, Size = size, ETag = "\"0\"" };

    private static UploadMetadata OpenWithOnePart(S3Store store, string key)
    {
        var upload = Open(store, key);
        store.CommitPart(upload.UploadId, ReceivedBody(store, 10), Part(1, 10));
        return upload;
    }

    [Fact]
    public void An_abort_racing_a_parts_commit_either_follows_the_stored_part_or_makes_the_commit_NoSuchUpload()
    {
        var store = NewStore();
        var committed = 0;
        var refused = 0;
        for (var round = 0; round < 300; round++)
        {
            var upload = Open(store, $"models/{round}.bin");
            var temp = ReceivedBody(store, 64 * 1024);
            using var start = new Barrier(2);
            Exception? commitError = null;
            var commit = new Thread(() =>
            {
                start.SignalAndWait();
                try { store.CommitPart(upload.UploadId, temp, Part(1, 64 * 1024)); }
                catch (Exception e) { commitError = e; }
            });
            commit.Start();
            start.SignalAndWait();
            store.DeleteUpload(upload.UploadId);
            commit.Join();
            File.Delete(temp);

            if (commitError is null)
                committed++;
            else if (commitError is S3StoreException { Code: "NoSuchUpload", Status: 404 })
                refused++;
            else
                Assert.Fail($"round {round}: the commit failed with {commitError.GetType().Name}: {commitError.Message}");
            Assert.Equal(0, store.UploadFolderCount());
            Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(_root, "tmp")));
        }
        Assert.Equal(300, committed + refused);
    }

    [Fact]
    public void A_claimed_upload_refuses_parts_and_aborts_then_comes_back_whole_when_the_completion_fails()
    {
        var store = NewStore();
        var upload = OpenWithOnePart(store, "models/a.bin");

        using (var claim = store.ClaimUpload(upload.UploadId))
        {
            Assert.Equal(new[] { 1 }, claim.Parts.Select(p => p.PartNumber));
            Assert.True(File.Exists(claim.PartDataPath(1)));
            Assert.Equal("NoSuchUpload", Assert.Throws<S3StoreException>(() => store.DeleteUpload(upload.UploadId)).Code);
            var late = ReceivedBody(store, 10);
            Assert.Equal("NoSuchUpload", Assert.Throws<S3StoreException>(() => store.CommitPart(upload.UploadId, late, Part(2, 10))).Code);
            File.Delete(late);
            Assert.Equal("NoSuchUpload", Assert.Throws<S3StoreException>(() => store.ClaimUpload(upload.UploadId)).Code);
        }

        Assert.Equal(new[] { 1 }, store.Parts(upload.UploadId).Select(p => p.PartNumber));
        Assert.Equal(upload.UploadId, Assert.Single(store.AllUploads()).UploadId);
    }

    [Fact]
    public void A_finished_claim_leaves_no_folder_and_the_upload_is_gone()
    {
        var store = NewStore();
        var upload = OpenWithOnePart(store, "models/b.bin");

        using (var claim = store.ClaimUpload(upload.UploadId))
            claim.Finish();

        Assert.Equal(0, store.UploadFolderCount());
        Assert.Empty(store.AllUploads());
        Assert.Equal("NoSuchUpload", Assert.Throws<S3StoreException>(() => store.DeleteUpload(upload.UploadId)).Code);
    }

    [Fact]
    public void A_completion_cut_short_by_a_restart_leaves_the_upload_open_with_its_parts()
    {
        var store = NewStore();
        var upload = OpenWithOnePart(store, "models/c.bin");
        _ = store.ClaimUpload(upload.UploadId);

        var restarted = new S3Store(_root, TimeProvider.System);

        Assert.Equal(new[] { 1 }, restarted.Parts(upload.UploadId).Select(p => p.PartNumber));
        Assert.Equal(1, restarted.UploadFolderCount());
    }
}
