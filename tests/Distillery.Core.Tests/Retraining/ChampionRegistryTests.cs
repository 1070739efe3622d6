using Distillery.Models;
using Distillery.Experiments;
using Distillery.Retraining;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Retraining;

public class ChampionRegistryTests
{
    /// <summary>Copies a real run's results under another id with the student's test losses scaled.</summary>
    private static async Task Variant(IArtifactStore store, RunResults real, string runId, double factor)
    {
        var folds = real.Folds.Select(f =>
            f.With(ModelKind.Student, f[ModelKind.Student] with { TestVsTruth = f[ModelKind.Student].TestVsTruth!.Select(v => v * factor).ToArray() })).ToList();
        await store.WriteJsonAsync(new RunLayout(runId).Results, real with { RunId = runId, Folds = folds });
    }

    [Fact]
    public async Task First_run_is_champion_a_worse_one_is_challenger_and_one_within_tolerance_takes_over()
    {
        using var dir = new TempDir();
        var steps = TinyRun.Steps(dir.Path);
        await TinyRun.RunStepsAsync(steps, "base", TinyRun.Settings(epochs: 0));
        var real = (await steps.Store.ReadJsonAsync<RunResults>(new RunLayout("base").Results))!;
        await Variant(steps.Store, real, "worse", 1.5);
        await Variant(steps.Store, real, "close", 1.04);

        var registry = new ChampionRegistry(steps.Store);
        var now = new DateTime(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);
        var first = await registry.DecideAsync("US_FL", "base", "fp1", "datasets/US_FL/a.csv", 0.05, now);
        Assert.Equal("champion", first.Outcome);
        Assert.Null(first.ChampionTestMse);
        var expected = real.Folds.Average(f => f[ModelKind.Student].TestVsTruth![^1] / f.TestIndices.Length);
        Assert.Equal(expected, first.StudentTestMse, 12);

        var worse = await registry.DecideAsync("US_FL", "worse", "fp2", "datasets/US_FL/b.csv", 0.05, now.AddDays(1));
        Assert.Equal("challenger", worse.Outcome);
        Assert.Equal(first.StudentTestMse, worse.ChampionTestMse);
        Assert.Equal(1.5 * first.StudentTestMse, worse.StudentTestMse, 12);
        var state = await registry.GetAsync("US_FL");
        Assert.Equal("base", state.Champion!.RunId);
        Assert.Equal("worse", state.Challenger!.RunId);

        var close = await registry.DecideAsync("US_FL", "close", "fp3", "datasets/US_FL/c.csv", 0.05, now.AddDays(2));
        Assert.Equal("champion", close.Outcome);
        Assert.Equal("base", close.PreviousChampion);
        Assert.Equal("close", (await registry.GetAsync("US_FL")).Champion!.RunId);

        // Deciding again returns the recorded decision; the history has one entry per run.
        Assert.Equal(worse, await registry.DecideAsync("US_FL", "worse", "fp2", "datasets/US_FL/b.csv", 0.05, now.AddDays(3)));
        Assert.Equal(["base", "close", "worse"], (await registry.HistoryAsync("US_FL")).Select(d => d.RunId));
    }
}
