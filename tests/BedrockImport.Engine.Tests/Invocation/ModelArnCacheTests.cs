using System.Collections.Concurrent;
using BedrockImport.Engine.Diagnostics;
using BedrockImport.Engine.Invocation;
using BedrockImport.Engine.Tests.Wire;
using BedrockImport.Engine.Wire;

namespace BedrockImport.Engine.Tests.Invocation;

public class ModelArnCacheTests
{
    private const string Scope = "http://127.0.0.1:1234/|us-east-1";
    private const string FirstArn = "arn:aws:bedrock:us-east-1:111122223333:imported-model/aaaaaaaaaaaa";
    private const string SecondArn = "arn:aws:bedrock:us-east-1:111122223333:imported-model/bbbbbbbbbbbb";

    /// <summary>A service where the name "same-name" stands for <see cref="Current"/> (null: no model has it) and
    /// invoking any other ARN answers not found, as after the model was deleted and imported again.</summary>
    private sealed class FakeService
    {
        public string Current { get; set; } = FirstArn;
        public ConcurrentQueue<string> LookUps { get; } = new();
        public ConcurrentQueue<string> Invocations { get; } = new();

        public Task<string> LookUp(string name)
        {
            LookUps.Enqueue(name);
            return Current != null
                ? Task.FromResult(Current)
                : Task.FromException<string>(new ResourceNotFoundException($"The imported model '{name}' was not found.", 404, "req-lookup"));
        }

        public async Task<string> Invoke(string arn)
        {
            Invocations.Enqueue(arn);
            await Task.Yield();
            return arn == Current ? "answer from " + arn : throw new ResourceNotFoundException($"The imported model {arn} was not found.", 404, "req-invoke");
        }
    }

    private static Task<string> Use(ModelArnCache cache, FakeService service, string modelId = "same-name", string scope = Scope)
        => cache.UseAsync(scope, modelId, service.LookUp, NullEngineLog.Instance, service.Invoke);

    [Fact]
    public async Task A_name_is_looked_up_once_and_an_arn_never()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();

        Assert.Equal("answer from " + FirstArn, await Use(cache, service));
        Assert.Equal("answer from " + FirstArn, await Use(cache, service));
        Assert.Equal(FirstArn, await cache.ResolveAsync(Scope, "same-name", service.LookUp));
        Assert.Equal("answer from " + FirstArn, await Use(cache, service, FirstArn));

        Assert.Equal(new[] { "same-name" }, service.LookUps);
        Assert.Equal(new[] { FirstArn, FirstArn, FirstArn }, service.Invocations);
    }

    [Fact]
    public async Task A_name_forgotten_on_delete_is_looked_up_again_and_nothing_goes_to_the_deleted_arn()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        await Use(cache, service);

        Assert.Equal(new[] { FirstArn }, cache.Forget(Scope, "same-name"));
        service.Current = SecondArn;

        Assert.Equal("answer from " + SecondArn, await Use(cache, service));
        Assert.Equal(2, service.LookUps.Count);
        Assert.Equal(new[] { FirstArn, SecondArn }, service.Invocations);
    }

    [Fact]
    public async Task Forgetting_an_arn_drops_the_names_that_stand_for_it_in_that_scope_only()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        const string otherScope = "http://127.0.0.1:5678/|us-east-1";
        await cache.ResolveAsync(Scope, "same-name", service.LookUp);
        await cache.ResolveAsync(otherScope, "same-name", service.LookUp);
        await cache.ResolveAsync(Scope, "unrelated", _ => Task.FromResult(SecondArn));

        Assert.Equal(new[] { FirstArn }, cache.Forget(Scope, FirstArn));
        Assert.Empty(cache.Forget(Scope, "no-such-name"));

        await cache.ResolveAsync(Scope, "same-name", service.LookUp);
        await cache.ResolveAsync(otherScope, "same-name", service.LookUp);
        Assert.Equal(SecondArn, await cache.ResolveAsync(Scope, "unrelated", _ => throw new InvalidOperationException("must come from memory")));
        Assert.Equal(3, service.LookUps.Count);
    }

    [Fact]
    public async Task A_remembered_arn_that_is_gone_is_resolved_once_more_and_the_work_runs_again()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        var log = new RecordingLog();
        await Use(cache, service);
        service.Current = SecondArn; // deleted and imported again elsewhere: nothing told this cache

        Assert.Equal("answer from " + SecondArn, await cache.UseAsync(Scope, "same-name", service.LookUp, log, service.Invoke));
        Assert.Equal(new[] { FirstArn, FirstArn, SecondArn }, service.Invocations);
        Assert.Equal(2, service.LookUps.Count);
        Assert.Contains(log.VerboseLines, line => line.Contains(FirstArn) && line.Contains("same-name"));

        // The name now stands for the new model.
        Assert.Equal("answer from " + SecondArn, await Use(cache, service));
        Assert.Equal(2, service.LookUps.Count);
    }

    [Fact]
    public async Task Requests_of_one_batch_that_meet_the_stale_arn_together_all_reach_the_new_model()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        await Use(cache, service);
        service.Current = SecondArn;

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => Use(cache, service))));

        Assert.All(answers, answer => Assert.Equal("answer from " + SecondArn, answer));
        Assert.InRange(service.LookUps.Count, 2, 17);
        Assert.Equal(16, service.Invocations.Count(arn => arn == SecondArn));
    }

    [Fact]
    public async Task A_not_found_for_an_arn_just_looked_up_is_not_retried()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        Task<string> Gone(string arn)
        {
            service.Invocations.Enqueue(arn);
            throw new ResourceNotFoundException("gone", 404, "req");
        }

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => cache.UseAsync(Scope, "same-name", service.LookUp, NullEngineLog.Instance, Gone));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => cache.UseAsync(Scope, FirstArn, service.LookUp, NullEngineLog.Instance, Gone));

        Assert.Single(service.LookUps);
        Assert.Equal(new[] { FirstArn, FirstArn }, service.Invocations);
    }

    [Fact]
    public async Task A_name_that_no_longer_names_a_model_fails_with_the_lookups_answer_and_is_not_remembered()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        await Use(cache, service);
        service.Current = null;

        var error = await Assert.ThrowsAsync<ResourceNotFoundException>(() => Use(cache, service));
        Assert.Contains("'same-name'", error.Message);
        Assert.Equal(new[] { FirstArn, FirstArn }, service.Invocations);

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => Use(cache, service));
        Assert.Equal(3, service.LookUps.Count);
        Assert.Equal(2, service.Invocations.Count);
    }

    [Fact]
    public async Task A_second_not_found_is_the_callers_and_other_errors_are_never_retried()
    {
        var cache = new ModelArnCache();
        var service = new FakeService();
        await Use(cache, service);
        var calls = 0;

        // The lookup still answers the deleted ARN (a service not yet consistent): one retry, then the error.
        service.Current = FirstArn;
        Task<string> AlwaysGone(string arn)
        {
            calls++;
            throw new ResourceNotFoundException("gone", 404, "req");
        }

        await Assert.ThrowsAsync<ResourceNotFoundException>(() => cache.UseAsync(Scope, "same-name", service.LookUp, NullEngineLog.Instance, AlwaysGone));
        Assert.Equal(2, calls);
        Assert.Equal(2, service.LookUps.Count);

        calls = 0;
        Task<string> Denied(string arn)
        {
            calls++;
            throw new AwsServiceException("AccessDeniedException", "denied", 403, "req");
        }

        await Assert.ThrowsAsync<AwsServiceException>(() => cache.UseAsync(Scope, "same-name", service.LookUp, NullEngineLog.Instance, Denied));
        Assert.Equal(1, calls);
        Assert.Equal(FirstArn, await cache.ResolveAsync(Scope, "same-name", _ => throw new InvalidOperationException("must come from memory")));
    }

    [Fact]
    public async Task Deleting_a_model_forgets_its_name_and_its_chat_template_for_that_endpoint_and_region()
    {
        // The shared caches serve every test: names and ARNs of this test alone.
        var session = Kit.Session(endpoint: "http://127.0.0.1:4777/");
        var scope = ImportedModelInvoker.Scope(session);
        var id = Guid.NewGuid().ToString("N").Substring(0, 11);
        var name = "forget-" + id;
        var deletedArn = FirstArn.Replace("aaaaaaaaaaaa", "a" + id);
        var otherArn = FirstArn.Replace("aaaaaaaaaaaa", "b" + id);
        await ModelArnCache.Shared.ResolveAsync(scope, name, _ => Task.FromResult(deletedArn));
        var loads = 0;
        Task<ChatTemplate> Load(CancellationToken _) { loads++; return Task.FromResult(ChatTemplate.Parse("{{ messages[0].content }}")); }
        await ChatTemplateCache.Shared.GetOrLoadAsync(deletedArn, Load, CancellationToken.None);
        await ChatTemplateCache.Shared.GetOrLoadAsync(otherArn, Load, CancellationToken.None);

        ImportedModelInvoker.ForgetModel(session, name);
        ImportedModelInvoker.ForgetModel(session, otherArn);

        Assert.Equal(otherArn, await ModelArnCache.Shared.ResolveAsync(scope, name, _ => Task.FromResult(otherArn)));
        await ChatTemplateCache.Shared.GetOrLoadAsync(deletedArn, Load, CancellationToken.None);
        await ChatTemplateCache.Shared.GetOrLoadAsync(otherArn, Load, CancellationToken.None);
        Assert.Equal(4, loads);
        Assert.NotEqual(scope, ImportedModelInvoker.Scope(Kit.Session(endpoint: "http://127.0.0.1:4777/", region: "us-west-2")));
    }
}
