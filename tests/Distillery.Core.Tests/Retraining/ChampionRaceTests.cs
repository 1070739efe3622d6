using Distillery.Models;
using Distillery.Experiments;
using Distillery.Retraining;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Retraining;

/// <summary>Champion decisions made at once, and retried, on a real store.</summary>
public class ChampionRaceTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static async Task<(IArtifactStore Store, RunResults Real)> BaseRunAsync(TempDir dir)
    {
        var steps = TinyRun.Steps(dir.Path);
        await TinyRun.RunStepsAsync(steps, "base", TinyRun.Settings(epochs: 0));
        await steps.Store.SetStudentMaseAsync("base", 0.9); // beats persistence: the gate lets it be decided on MSE
        return (steps.Store, (await steps.Store.ReadJsonAsync<RunResults>(new RunLayout("base").Results))!);
    }

    private static Task Variant(IArtifactStore store, RunResults real, string runId, double factor) =>
        store.WriteJsonAsync(new RunLayout(runId).Results, (real with
        {
            RunId = runId,
            Folds = real.Folds.Select(f => f.With(ModelKind.Student, f[ModelKind.Student] with { TestVsTruth = f[ModelKind.Student].TestVsTruth!.Select(v => v * factor).ToArray() })).ToList(),
        }).WithStudentSkill(0.9));

    [Fact]
    public async Task Concurrent_decisions_see_each_other_as_if_made_one_after_another()
    {
        using var dir = new TempDir();
        var (store, real) = await BaseRunAsync(dir);
        // Each run worse than the one before by more than the tolerance: whichever is decided first is champion and
        // every later one compares with it (or with a better one decided before it).
        var runs = Enumerable.Range(0, 8).Select(i => (Id: $"r{i}", Factor: 1 + 0.5 * i)).ToList();
        foreach (var (id, factor) in runs) await Variant(store, real, id, factor);

        var registry = new ChampionRegistry(store);
        // Several locations at once, so that decisions of one location really overlap.
        var locations = Enumerable.Range(0, 12).Select(i => $"US_L{i}").ToList();
        var all = await Task.WhenAll(locations.SelectMany(location => runs.Select(r => Task.Run(() =>
            registry.DecideAsync(location, r.Id, $"fp-{r.Id}", $"datasets/{location}/{r.Id}.csv", 0.05, Now)))));

        foreach (var location in locations)
        {
            var decisions = all.Where(d => d.Location == location).ToList();
            // Exactly one saw no champion; the others each compared with a champion that some decision had made.
            Assert.Single(decisions, d => d.ChampionTestMse is null);
            var champions = decisions.Where(d => d.Outcome == "champion").Select(d => d.RunId).ToHashSet();
            Assert.All(decisions.Where(d => d.PreviousChampion is not null), d => Assert.Contains(d.PreviousChampion!, champions));
            // The stored state is the last champion decided: the best of those that became champion, never lost.
            var state = await registry.GetAsync(location);
            var best = decisions.Where(d => d.Outcome == "champion").MinBy(d => d.StudentTestMse)!;
            Assert.Equal(best.RunId, state.Champion!.RunId);
            Assert.Equal(runs.Count, (await registry.HistoryAsync(location)).Count);
        }
    }

    [Fact]
    public async Task A_decision_retried_after_its_state_was_saved_returns_the_same_decision()
    {
        using var dir = new TempDir();
        var (store, real) = await BaseRunAsync(dir);
        await Variant(store, real, "next", 1.01);
        var registry = new ChampionRegistry(store);
        await registry.DecideAsync("US_FL", "base", "fp1", "datasets/US_FL/a.csv", 0.05, Now);
        var first = await registry.DecideAsync("US_FL", "next", "fp2", "datasets/US_FL/b.csv", 0.05, Now.AddDays(1));
        Assert.Equal(("champion", "base"), (first.Outcome, first.PreviousChampion));

        // The activity died after saving the state but before its history entry: durable runs it again.
        Assert.True(await store.DeleteAsync($"{ChampionRegistry.HistoryPrefix("US_FL")}next.json"));
        var retried = await registry.DecideAsync("US_FL", "next", "fp2", "datasets/US_FL/b.csv", 0.05, Now.AddDays(1));

        Assert.Equal(first, retried); // not "champion, previous champion: next" against itself
        Assert.Equal("next", (await registry.GetAsync("US_FL")).Champion!.RunId);
        Assert.Equal(["base", "next"], (await registry.HistoryAsync("US_FL")).Select(d => d.RunId));
    }
}
