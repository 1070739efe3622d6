using System.Security.Cryptography;
using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Retraining;

/// <summary>The model a location serves, and what it was trained on.</summary>
public sealed record ChampionRecord(string RunId, string Fingerprint, string DatasetPath, double StudentTestMse,
    double StudentTestMseSem, int Windows, DateTime DecidedUtc);

/// <summary>One decision about a finished retraining run, with the numbers it was based on.</summary>
public sealed record ChampionDecision(string Location, string RunId, string Fingerprint, string Outcome, string Reason,
    double StudentTestMse, double? ChampionTestMse, double Tolerance, string? PreviousChampion, DateTime DecidedUtc);

/// <summary>state/{location}.json: the champion, the latest challenger, and what the watcher last saw of each source.</summary>
public sealed record LocationState
{
    public required string Location { get; init; }
    public ChampionRecord? Champion { get; init; }
    public ChampionRecord? Challenger { get; init; }
    public IReadOnlyDictionary<string, SourceSeen> Sources { get; init; } = new Dictionary<string, SourceSeen>();
}

/// <summary>The last version of a watched source: its fingerprint (SHA-256 of the content) and validators.</summary>
public sealed record SourceSeen(string Fingerprint, string DatasetPath, string? ETag, DateTimeOffset? LastModified, DateTime SeenUtc);

public static class Fingerprints
{
    public static string Of(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));
}

/// <summary>
/// Champion / challenger bookkeeping in the artifact store. A finished run's distilled student becomes the champion
/// when its test MSE against the truth (per window, mean over folds) is no worse than the champion's by more than a
/// relative tolerance; otherwise it is kept as the challenger. Every decision is appended to the location's history.
/// </summary>
public sealed class ChampionRegistry(IArtifactStore store)
{
    public static string StatePath(string location) => $"state/{location}.json";
    public static string HistoryPrefix(string location) => $"state/{location}/history/";

    public async Task<LocationState> GetAsync(string location, CancellationToken ct = default) =>
        await store.ReadJsonAsync<LocationState>(StatePath(location), ct) ?? new LocationState { Location = location };

    public Task SaveAsync(LocationState state, CancellationToken ct = default) => store.WriteJsonAsync(StatePath(state.Location), state, ct);

    public async Task<IReadOnlyList<ChampionDecision>> HistoryAsync(string location, CancellationToken ct = default)
    {
        var decisions = new List<ChampionDecision>();
        foreach (var path in await store.ListAsync(HistoryPrefix(location), ct))
            if (await store.ReadJsonAsync<ChampionDecision>(path, ct) is { } d) decisions.Add(d);
        return decisions;
    }

    /// <summary>Decides about a finished run; deciding the same run again returns the recorded decision.</summary>
    public async Task<ChampionDecision> DecideAsync(string location, string runId, string fingerprint, string datasetPath,
        double tolerance, DateTime nowUtc, CancellationToken ct = default)
    {
        var historyPath = $"{HistoryPrefix(location)}{runId}.json";
        if (await store.ReadJsonAsync<ChampionDecision>(historyPath, ct) is { } recorded) return recorded;

        var results = await store.ReadJsonAsync<RunResults>(new RunLayout(runId).Results, ct)
                      ?? throw new InvalidOperationException($"run {runId} has no results.json");
        var candidate = Candidate(results, runId, fingerprint, datasetPath, nowUtc);
        var state = await GetAsync(location, ct);
        var champion = state.Champion;
        string outcome, reason;
        if (champion is null)
            (outcome, reason) = ("champion", "first run for this location");
        else if (candidate.StudentTestMse <= champion.StudentTestMse * (1 + tolerance))
            (outcome, reason) = ("champion", $"test MSE {candidate.StudentTestMse:G4} ≤ champion {champion.StudentTestMse:G4} × (1 + {tolerance})");
        else
            (outcome, reason) = ("challenger", $"test MSE {candidate.StudentTestMse:G4} > champion {champion.StudentTestMse:G4} × (1 + {tolerance})");

        var decision = new ChampionDecision(location, runId, fingerprint, outcome, reason, candidate.StudentTestMse,
            champion?.StudentTestMse, tolerance, champion?.RunId, nowUtc);
        // State first, then the history entry that marks the decision as made (a retry redoes both, same result).
        await SaveAsync(outcome == "champion" ? state with { Champion = candidate } : state with { Challenger = candidate }, ct);
        await store.WriteJsonAsync(historyPath, decision, ct);
        return decision;
    }

    /// <summary>The distilled student's final test loss against the truth, per test window, over the folds.</summary>
    public static ChampionRecord Candidate(RunResults results, string runId, string fingerprint, string datasetPath, DateTime nowUtc)
    {
        var perWindow = results.Folds
            .Select(f => f.Student.TestVsTruth![^1] / f.TestIndices.Length)
            .ToList();
        return new ChampionRecord(runId, fingerprint, datasetPath, Statistics.Mean(perWindow), Statistics.Sem(perWindow),
            results.Dataset.Windows, nowUtc);
    }
}
