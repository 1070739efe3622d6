using System.Text;
using Distillery.Functions.Http;
using Microsoft.DurableTask.Client;

namespace Distillery.Tests.Functions;

/// <summary>The same POST sent twice at once (a client retrying after a timeout, a double click).</summary>
public class DuplicatePostTests(ApiHost host) : IClassFixture<ApiHost>
{
    private ExperimentApi Api => new(host.Store, host.Options);
    private readonly CountingClient client = new(host.Durable.Client);

    private async Task<string> TailAsync(string name)
    {
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        await host.Store.WriteAsync($"datasets/US_FL/{name}", Encoding.UTF8.GetBytes(string.Join('\n', [lines[0], .. lines[^80..]]) + "\n"));
        return $"blob:datasets/US_FL/{name}";
    }

    private async Task<(int Status, string Body)> Post(string body)
    {
        var (status, _, text) = ApiHost.Read(await Api.Start(ApiHost.Request("POST", "/api/experiments", body), client, default));
        return (status, text);
    }

    private async Task AssertRanOnceAsync(string runId)
    {
        Assert.Equal(1, client.Scheduled);
        // Scheduled twice, the in-process backend finds two ExecutionStarted events and never finishes the run.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var state = await host.Durable.Client.WaitForInstanceCompletionAsync(runId, timeout.Token);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, state.RuntimeStatus);
        Assert.True(await host.Store.ExistsAsync($"runs/{runId}/results.json"));
    }

    [Fact]
    public async Task Concurrent_identical_posts_both_get_202_and_schedule_one_orchestration()
    {
        var body = $$"""{"runId": "dup", "folds": 2, "epochs": 0, "data": "{{await TailAsync("dup.csv")}}"}""";
        var posts = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => Post(body))));
        Assert.All(posts, p => Assert.Equal(202, p.Status));
        Assert.All(posts, p => Assert.Contains("\"id\": \"dup\"", p.Body));
        await AssertRanOnceAsync("dup");

        // Asking again for the finished run with the same settings is the same answer; other settings are a conflict.
        Assert.Equal(202, (await Post(body)).Status);
        var other = await Post(body.Replace("\"epochs\": 0", "\"epochs\": 1"));
        Assert.Equal(409, other.Status);
        Assert.Contains("other settings", other.Body);
        await AssertRanOnceAsync("dup");
    }

    [Fact]
    public async Task A_start_claimed_by_a_request_that_died_before_scheduling_is_taken_over()
    {
        var body = $$"""{"runId": "orphan", "folds": 2, "epochs": 0, "data": "{{await TailAsync("orphan.csv")}}"}""";
        // What a request that died between its claim and the schedule left behind: the settings and an old claim.
        Assert.True(await Distillery.Experiments.RunSettings.StoreAsync(host.Store, "orphan",
            new Distillery.Experiments.ExperimentSettings { Folds = 2, Epochs = 0, Data = "blob:datasets/US_FL/orphan.csv" }));
        Assert.True(await host.Store.CreateNewAsync(ExperimentApi.StartClaim("orphan", 0),
            Encoding.UTF8.GetBytes(DateTime.UtcNow.AddMinutes(-10).ToString("O"))));

        Assert.Equal(202, (await Post(body)).Status);
        await AssertRanOnceAsync("orphan");
    }
}
