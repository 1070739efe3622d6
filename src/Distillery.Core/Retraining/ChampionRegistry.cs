using System.Text.Json;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Retraining;

/// <summary>A run's student as a champion or challenger, what it was trained on, and its skill against persistence
/// (null in records written before the baseline gate).</summary>
public sealed record ChampionRecord(string RunId, string Fingerprint, string DatasetPath, double StudentTestMse,
    double StudentTestMseSem, int Windows, DateTime DecidedUtc, Skill? Skill = null);

/// <summary>One decision about a finished retraining run, with the numbers it was based on (<see cref="Skill"/>: the
/// candidate's; null in decisions made before the baseline gate).</summary>
public sealed record ChampionDecision(string Location, string RunId, string Fingerprint, string Outcome, string Reason,
    double StudentTestMse, double? ChampionTestMse, double Tolerance, string? PreviousChampion, DateTime DecidedUtc,
    Skill? Skill = null);

/// <summary>What a decision made of its run.</summary>
public static class DecisionOutcome
{
    /// <summary>Served from now on.</summary>
    public const string Champion = "champion";
    /// <summary>Beats persistence but not the champion: kept as the challenger.</summary>
    public const string Challenger = "challenger";
    /// <summary>Does not beat persistence: kept as the challenger; the champion stays, or persistence is served.</summary>
    public const string Baseline = "baseline";
}

/// <summary>state/{location}.json: the champion, the latest challenger, and what the watcher last saw of each source.</summary>
public sealed record LocationState
{
    public required string Location { get; init; }
    public ChampionRecord? Champion { get; init; }
    public ChampionRecord? Challenger { get; init; }
    public IReadOnlyDictionary<string, SourceSeen> Sources { get; init; } = new Dictionary<string, SourceSeen>();
    /// <summary>The latest decisions, saved with the champion they made: a decision retried after its state was saved
    /// (before its history entry) finds itself here.</summary>
    public IReadOnlyList<ChampionDecision> RecentDecisions { get; init; } = [];
}

/// <summary>The last version of a watched source: its fingerprint (SHA-256 of the content) and validators.</summary>
public sealed record SourceSeen(string Fingerprint, string DatasetPath, string? ETag, DateTimeOffset? LastModified, DateTime SeenUtc);

/// <summary>
/// Champion / challenger bookkeeping in the artifact store. A finished run's distilled student may become champion only
/// if it beats persistence on the run's held-out folds (<see cref="BaselineGate"/>); then it does when its test MSE
/// against the truth (per window, mean over folds) is no worse than the champion's by more than a relative tolerance.
/// Otherwise it is kept as the challenger. With no champion, the location serves persistence. Every decision is
/// appended to the location's history.
/// </summary>
public sealed class ChampionRegistry(IArtifactStore store)
{
    public static string StatePath(string location) => $"state/{location}.json";
    public static string HistoryPrefix(string location) => $"state/{location}/history/";

    /// <summary>Decisions kept in the state itself (the history keeps all of them).</summary>
    public const int RecentDecisionsKept = 16;
    private const int MaxUpdateAttempts = 50;

    public async Task<LocationState> GetAsync(string location, CancellationToken ct = default) =>
        await store.ReadJsonAsync<LocationState>(StatePath(location), ct) ?? new LocationState { Location = location };

    /// <summary>
    /// Read-modify-write of state/{location}.json with optimistic concurrency: <paramref name="change"/> is applied to
    /// the stored state and written only if nobody wrote it meanwhile; otherwise it is re-read and the change redone,
    /// so a watcher's tick and a champion decision never undo each other. <paramref name="change"/> may run several
    /// times and returns null for "nothing to write". Returns the state as stored afterwards.
    /// </summary>
    public async Task<LocationState> UpdateAsync(string location, Func<LocationState, LocationState?> change, CancellationToken ct = default)
    {
        var path = StatePath(location);
        for (var attempt = 1; ; attempt++)
        {
            var read = await store.ReadVersionedAsync(path, ct);
            var state = read is null
                ? new LocationState { Location = location }
                : JsonSerializer.Deserialize<LocationState>(read.Content, ArtifactStoreJson.Options)
                  ?? throw new InvalidOperationException($"{path} holds null");
            if (change(state) is not { } next) return state;
            if (await store.TryReplaceAsync(path, JsonSerializer.SerializeToUtf8Bytes(next, ArtifactStoreJson.Options), read?.Version, ct))
                return next;
            if (attempt == MaxUpdateAttempts)
                throw new IOException($"{path} in {store.Describe()} kept changing under {MaxUpdateAttempts} attempts to update it");
            await Task.Delay(Random.Shared.Next(1, 10 * Math.Min(attempt, 10)), ct); // jitter: racing writers spread out
        }
    }

    public async Task<IReadOnlyList<ChampionDecision>> HistoryAsync(string location, CancellationToken ct = default)
    {
        var decisions = new List<ChampionDecision>();
        foreach (var path in await store.ListAsync(HistoryPrefix(location), ct))
            if (await store.ReadJsonAsync<ChampionDecision>(path, ct) is { } d) decisions.Add(d);
        return decisions;
    }

    /// <summary>Decides about a finished run; deciding the same run again (a retried activity) returns the decision
    /// already made, whether its history entry was written or only its state.</summary>
    public async Task<ChampionDecision> DecideAsync(string location, string runId, string fingerprint, string datasetPath,
        double tolerance, DateTime nowUtc, CancellationToken ct = default)
    {
        var historyPath = $"{HistoryPrefix(location)}{runId}.json";
        if (await store.ReadJsonAsync<ChampionDecision>(historyPath, ct) is { } recorded) return recorded;

        var results = await store.ReadJsonAsync<RunResults>(new RunLayout(runId).Results, ct)
                      ?? throw new InvalidOperationException($"run {runId} has no results.json");
        var candidate = Candidate(results, runId, fingerprint, datasetPath, nowUtc);
        var legacy = await LegacyChampionAsync(location, ct);
        ChampionDecision? decision = null;
        await UpdateAsync(location, state =>
        {
            if (state.RecentDecisions.FirstOrDefault(d => d.RunId == runId) is { } made)
            {
                decision = made; // saved by an earlier attempt
                return null;
            }
            // A champion recorded before the gate is judged by the gate now, from its own results.
            var champion = state.Champion is { Skill: null } old && old.RunId == legacy?.RunId ? legacy : state.Champion;
            if (champion is { Skill: not null } && !BaselineGate.BeatsPersistence(champion.Skill)) champion = null;
            decision = Decide(state.Champion, champion, candidate, location, fingerprint, tolerance, nowUtc);
            var recent = state.RecentDecisions.Append(decision).TakeLast(RecentDecisionsKept).ToList();
            return decision.Outcome == DecisionOutcome.Champion
                ? state with { Champion = candidate, RecentDecisions = recent }
                : state with { Champion = champion, Challenger = candidate, RecentDecisions = recent };
        }, ct);
        // State first (atomically with the decision), then the history entry.
        await store.WriteJsonAsync(historyPath, decision!, ct);
        return decision!;
    }

    /// <summary>The stored champion with its skill read from its results, if it was recorded without one.</summary>
    private async Task<ChampionRecord?> LegacyChampionAsync(string location, CancellationToken ct)
    {
        if ((await GetAsync(location, ct)).Champion is not { Skill: null } old) return null;
        var results = await store.ReadJsonAsync<RunResults>(new RunLayout(old.RunId).Results, ct);
        return results is null ? null : old with { Skill = Skill.Of(results, ModelKind.Student) };
    }

    /// <param name="stored">The champion as stored.</param>
    /// <param name="champion">The stored champion if it beats persistence (or its skill is unknown), else null.</param>
    private static ChampionDecision Decide(ChampionRecord? stored, ChampionRecord? champion, ChampionRecord candidate, string location,
        string fingerprint, double tolerance, DateTime nowUtc)
    {
        string outcome, reason;
        if (BaselineGate.Refusal(ModelKind.Student.Name(), candidate.Skill) is { } refusal)
            (outcome, reason) = (DecisionOutcome.Baseline, champion is not null
                ? $"{refusal}; the champion {champion.RunId} stays"
                : stored is not null
                    ? $"{refusal}; the champion {stored.RunId} does not beat persistence either: the location serves persistence"
                    : $"{refusal}; the location serves persistence");
        else if (champion is null)
            (outcome, reason) = (DecisionOutcome.Champion, stored is null ? "first run for this location" : $"the champion {stored.RunId} does not beat persistence");
        else if (candidate.StudentTestMse <= champion.StudentTestMse * (1 + tolerance))
            (outcome, reason) = (DecisionOutcome.Champion, $"test MSE {candidate.StudentTestMse:G4} ≤ champion {champion.StudentTestMse:G4} × (1 + {tolerance})");
        else
            (outcome, reason) = (DecisionOutcome.Challenger, $"test MSE {candidate.StudentTestMse:G4} > champion {champion.StudentTestMse:G4} × (1 + {tolerance})");
        return new ChampionDecision(location, candidate.RunId, fingerprint, outcome, reason, candidate.StudentTestMse,
            stored?.StudentTestMse, tolerance, stored?.RunId, nowUtc, candidate.Skill);
    }

    /// <summary>The distilled student's final test loss against the truth, per test window, over the folds, and its skill.</summary>
    public static ChampionRecord Candidate(RunResults results, string runId, string fingerprint, string datasetPath, DateTime nowUtc)
    {
        var perWindow = results.Folds
            .Select(f => f[ModelKind.Student].Final(f[ModelKind.Student].TestVsTruth!) / f.TestIndices.Length)
            .ToList();
        return new ChampionRecord(runId, fingerprint, datasetPath, Statistics.Mean(perWindow), Statistics.Sem(perWindow),
            results.Dataset.Windows, nowUtc, Skill.Of(results, ModelKind.Student));
    }
}
