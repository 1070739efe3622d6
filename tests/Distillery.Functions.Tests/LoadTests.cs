using Distillery.Models;
using System.Text;
using Distillery.Experiments;
using Distillery.Functions.Http;
using Distillery.Storage;
using Distillery.Tests.Experiments;
using Microsoft.DurableTask.Client;

namespace Distillery.Tests.Functions;

/// <summary>Many runs at once on one app: each completes with its own, correct results.</summary>
public class LoadTests(ApiHost host) : IClassFixture<ApiHost>
{
    [Fact]
    public async Task Twenty_concurrent_posts_all_complete_with_correct_independent_results()
    {
        // The last 80 days of US_FL: 56 windows, so 20 runs train in seconds.
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        var csv = string.Join('\n', [lines[0], .. lines[^80..]]) + "\n";
        await host.Store.WriteAsync("datasets/US_FL/tail.csv", Encoding.UTF8.GetBytes(csv));
        var api = new ExperimentApi(host.Store, host.Options);

        const int runs = 20;
        var posts = await Task.WhenAll(Enumerable.Range(0, runs).Select(i => Task.Run(async () =>
        {
            var body = $$"""{"runId": "load-{{i}}", "seed": {{i}}, "folds": 2, "epochs": 0, "data": "blob:datasets/US_FL/tail.csv"}""";
            return ApiHost.Read(await api.Start(ApiHost.Request("POST", "/api/experiments", body), host.Durable.Client, default));
        })));
        Assert.All(posts, p => Assert.Equal(202, p.Status));

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var states = await Task.WhenAll(Enumerable.Range(0, runs).Select(i =>
            host.Durable.Client.WaitForInstanceCompletionAsync($"load-{i}", getInputsAndOutputs: true, timeout.Token)));
        Assert.All(states, s => Assert.True(s.RuntimeStatus == OrchestrationRuntimeStatus.Completed,
            $"{s.InstanceId}: {s.RuntimeStatus} {s.FailureDetails?.ErrorMessage}"));

        var results = new List<RunResults>();
        for (var i = 0; i < runs; i++)
        {
            var r = (await host.Store.ReadJsonAsync<RunResults>($"runs/load-{i}/results.json"))!;
            Assert.Equal($"load-{i}", r.RunId);
            Assert.Equal(i, r.Settings.Seed);
            Assert.Equal(56, r.Dataset.Windows);
            Assert.Equal(2, r.Folds.Count);
            results.Add(r);
        }
        // Independent: every seed starts from its own weights, so no two runs share a curve.
        Assert.Equal(runs, results.Select(r => r.Folds[0][ModelKind.Teacher].Train[0]).Distinct().Count());
        Assert.Equal(runs, results.Select(r => r.Folds[1][ModelKind.Fnn].Test[0]).Distinct().Count());

        // Correct: a run of the load equals the same experiment run alone, step by step, elsewhere.
        using var dir = new TempDir();
        var alone = Path.Combine(dir.Path, "tail.csv");
        await File.WriteAllTextAsync(alone, csv);
        var steps = TinyRun.Steps(Path.Combine(dir.Path, "out"));
        await TinyRun.RunStepsAsync(steps, "alone", new ExperimentSettings { Data = alone, Folds = 2, Epochs = 0, Seed = 7 });
        var expected = (await steps.Store.ReadJsonAsync<RunResults>("runs/alone/results.json"))!;
        var actual = results[7];
        Assert.Equal(expected.BestTeacherFold, actual.BestTeacherFold);
        for (var f = 0; f < 2; f++)
        {
            Assert.Equal(expected.Folds[f].TestIndices, actual.Folds[f].TestIndices);
            Assert.Equal(expected.Folds[f][ModelKind.Teacher].Test, actual.Folds[f][ModelKind.Teacher].Test);
            Assert.Equal(expected.Folds[f][ModelKind.Student].TestVsTruth, actual.Folds[f][ModelKind.Student].TestVsTruth);
            Assert.Equal(expected.Folds[f][ModelKind.Fnn].Train, actual.Folds[f][ModelKind.Fnn].Train);
        }
    }
}
