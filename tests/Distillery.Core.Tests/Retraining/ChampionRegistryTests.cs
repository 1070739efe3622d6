using Distillery.Models;
using Distillery.Experiments;
using Distillery.Retraining;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Retraining;

public class ChampionRegistryTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    /// <summary>Copies a real run's results under another id with the student's test losses scaled and its MASE set
    /// (below 1 by default: it beats persistence).</summary>
    internal static async Task Variant(IArtifactStore store, RunResults real, string runId, double factor, double mase = 0.8,
        double? relativeWis = null)
    {
        var folds = real.Folds.Select(f =>
            f.With(ModelKind.Student, f[ModelKind.Student] with { TestVsTruth = f[ModelKind.Student].TestVsTruth!.Select(v => v * factor).ToArray() })).ToList();
        await store.WriteJsonAsync(new RunLayout(runId).Results, (real with { RunId = runId, Folds = folds }).WithStudentSkill(mase, relativeWis));
    }

    internal static async Task<(IArtifactStore Store, RunResults Real)> BaseRunAsync(TempDir dir)
    {
        var steps = TinyRun.Steps(dir.Path);
        await TinyRun.RunStepsAsync(steps, "base", TinyRun.Settings(epochs: 0));
        return (steps.Store, (await steps.Store.ReadJsonAsync<RunResults>(new RunLayout("base").Results))!);
    }

    [Fact]
    public async Task First_run_is_champion_a_worse_one_is_challenger_and_one_within_tolerance_takes_over()
    {
        using var dir = new TempDir();
        var (store, real) = await BaseRunAsync(dir);
        await store.SetStudentMaseAsync("base", 0.9);
        await Variant(store, real, "worse", 1.5);
        await Variant(store, real, "close", 1.04);

        var registry = new ChampionRegistry(store);
        var now = Now;
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

public class BaselineGateTests
{
    private static readonly DateTime Now = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static async Task<(IArtifactStore Store, RunResults Real, ChampionRegistry Registry)> BaseRunAsync(TempDir dir)
    {
        var (store, real) = await ChampionRegistryTests.BaseRunAsync(dir);
        return (store, real, new ChampionRegistry(store));
    }

    private static Task Copy(IArtifactStore store, RunResults real, string runId, double mase, double? relativeWis = null, double mseFactor = 1) =>
        ChampionRegistryTests.Variant(store, real, runId, mseFactor, mase, relativeWis);

    [Fact]
    public async Task A_student_worse_than_persistence_is_refused_and_the_location_serves_persistence()
    {
        using var dir = new TempDir();
        var (store, real, registry) = await BaseRunAsync(dir);
        await Copy(store, real, "bad", 3.41);

        var decision = await registry.DecideAsync("US_FL", "bad", "fp1", "datasets/US_FL/a.csv", 0.05, Now);

        Assert.Equal(DecisionOutcome.Baseline, decision.Outcome);
        Assert.Equal($"student MASE 3.41 ≥ 1: worse than persistence on the held-out folds ({real.Protocol}); the location serves persistence",
            decision.Reason);
        var state = await registry.GetAsync("US_FL");
        Assert.Null(state.Champion);
        Assert.Equal("bad", state.Challenger!.RunId);
        // The candidate's scores, as the API shows them.
        var skill = decision.Skill!;
        Assert.Equal((real.Protocol, 3.41), (skill.Protocol, skill.Mase));
        Assert.Equal(real.TruthOf(ModelKind.Student).Mae.Mean, skill.Mae);
        Assert.Equal(real.Truth[Evaluation.PersistenceName].Mae.Mean, skill.PersistenceMae);
        Assert.Equal(skill, state.Challenger.Skill);
        Assert.Equal(decision, Assert.Single(await registry.HistoryAsync("US_FL")));
    }

    [Theory]
    [InlineData(1.0)] // equal to persistence does not beat it
    [InlineData(double.NaN)] // an undefined ratio does not either
    public async Task Mase_of_one_or_undefined_is_refused(double mase)
    {
        using var dir = new TempDir();
        var (store, real, registry) = await BaseRunAsync(dir);
        await Copy(store, real, "edge", mase);
        Assert.Equal(DecisionOutcome.Baseline, (await registry.DecideAsync("US_FL", "edge", "fp1", "d.csv", 0.05, Now)).Outcome);
    }

    [Fact]
    public async Task A_student_that_beats_persistence_is_promoted()
    {
        using var dir = new TempDir();
        var (store, real, registry) = await BaseRunAsync(dir);
        await Copy(store, real, "good", 0.95);
        var decision = await registry.DecideAsync("US_FL", "good", "fp1", "datasets/US_FL/a.csv", 0.05, Now);
        Assert.Equal((DecisionOutcome.Champion, "first run for this location"), (decision.Outcome, decision.Reason));
        var champion = (await registry.GetAsync("US_FL")).Champion!;
        Assert.Equal(("good", 0.95), (champion.RunId, champion.Skill!.Mase));
    }

    [Fact]
    public async Task A_champion_that_beat_persistence_stays_when_a_run_worse_than_persistence_arrives()
    {
        using var dir = new TempDir();
        var (store, real, registry) = await BaseRunAsync(dir);
        await Copy(store, real, "good", 0.9);
        await Copy(store, real, "bad", 1.2, mseFactor: 0.5); // a lower MSE does not make up for it
        await registry.DecideAsync("US_FL", "good", "fp1", "a.csv", 0.05, Now);

        var decision = await registry.DecideAsync("US_FL", "bad", "fp2", "b.csv", 0.05, Now.AddDays(1));

        Assert.Equal(DecisionOutcome.Baseline, decision.Outcome);
        Assert.EndsWith("; the champion good stays", decision.Reason);
        Assert.Equal("good", decision.PreviousChampion);
        var state = await registry.GetAsync("US_FL");
        Assert.Equal(("good", "bad"), (state.Champion!.RunId, state.Challenger!.RunId));
    }

    [Fact]
    public async Task A_relative_wis_not_below_one_is_refused_too()
    {
        using var dir = new TempDir();
        var (store, real, registry) = await BaseRunAsync(dir);
        await Copy(store, real, "wis", 0.8, relativeWis: 1.1);
        var decision = await registry.DecideAsync("US_FL", "wis", "fp1", "a.csv", 0.05, Now);
        Assert.Equal(DecisionOutcome.Baseline, decision.Outcome);
        Assert.StartsWith("student relative WIS 1.10 ≥ 1: worse than persistence", decision.Reason);
        Assert.Equal(1.1, decision.Skill!.RelativeWis);
    }

    [Fact]
    public async Task A_champion_recorded_before_the_gate_is_judged_by_its_own_results()
    {
        using var dir = new TempDir();
        var (store, real, registry) = await BaseRunAsync(dir);
        await Copy(store, real, "old", 2.0);
        await Copy(store, real, "bad", 3.0);
        // As a state file written before the gate: a champion without its skill.
        var old = ChampionRegistry.Candidate(real, "old", "fp0", "a.csv", Now) with { Skill = null };
        await registry.UpdateAsync("US_FL", s => s with { Champion = old });

        var decision = await registry.DecideAsync("US_FL", "bad", "fp1", "b.csv", 0.05, Now);

        Assert.Equal(DecisionOutcome.Baseline, decision.Outcome);
        Assert.EndsWith("; the champion old does not beat persistence either: the location serves persistence", decision.Reason);
        Assert.Null((await registry.GetAsync("US_FL")).Champion);
    }

    [Fact]
    public void Records_written_before_the_gate_still_read()
    {
        const string decision = """
            {"location":"US_FL","runId":"r","fingerprint":"f","outcome":"champion","reason":"first run for this location",
             "studentTestMse":0.1,"championTestMse":null,"tolerance":0.05,"previousChampion":null,"decidedUtc":"2026-11-28T12:00:00Z"}
            """;
        const string state = """
            {"location":"US_FL","champion":{"runId":"r","fingerprint":"f","datasetPath":"d.csv","studentTestMse":0.1,
             "studentTestMseSem":0.01,"windows":300,"decidedUtc":"2026-11-28T12:00:00Z"},"challenger":null,"sources":{}}
            """;
        Assert.Null(System.Text.Json.JsonSerializer.Deserialize<ChampionDecision>(decision, ArtifactStoreJson.Options)!.Skill);
        var read = System.Text.Json.JsonSerializer.Deserialize<LocationState>(state, ArtifactStoreJson.Options)!;
        Assert.Equal(("r", null), (read.Champion!.RunId, read.Champion.Skill));
    }
}
