using Distillery.Data;
using Distillery.Experiments;
using Distillery.Retraining;
using Distillery.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Distillery.Workflow;

public sealed record RetrainRequest(string Location, string DatasetPath, string Fingerprint, string RunId,
    ExperimentSettings Settings, double Tolerance);

public sealed record DecideRequest(string Location, string RunId, string Fingerprint, string DatasetPath, double Tolerance, DateTime NowUtc);

/// <summary>Retraining on new data: the experiment as a sub-orchestration, then the champion decision.</summary>
public sealed class RetrainOrchestrator : TaskOrchestrator<RetrainRequest, ChampionDecision>
{
    public override async Task<ChampionDecision> RunAsync(TaskOrchestrationContext context, RetrainRequest request)
    {
        await context.CallSubOrchestratorAsync<RunSummary>(nameof(ExperimentOrchestrator),
            new ExperimentRequest(request.RunId, request.Settings with { Data = new DataSpec.Blob(request.DatasetPath).ToString() }),
            new SubOrchestrationOptions { InstanceId = request.RunId });
        var decision = await context.CallActivityAsync<ChampionDecision>(nameof(DecideChampionActivity),
            new DecideRequest(request.Location, request.RunId, request.Fingerprint, request.DatasetPath, request.Tolerance,
                context.CurrentUtcDateTime), ActivityRetry.Options);
        context.CreateReplaySafeLogger<RetrainOrchestrator>().LogInformation("{Location}: run {RunId} is {Outcome} ({Reason})",
            request.Location, request.RunId, decision.Outcome, decision.Reason);
        return decision;
    }
}

public sealed class DecideChampionActivity(IArtifactStore store) : TaskActivity<DecideRequest, ChampionDecision>
{
    public override Task<ChampionDecision> RunAsync(TaskActivityContext context, DecideRequest input) => RunAsync(input);

    public Task<ChampionDecision> RunAsync(DecideRequest input) =>
        new ChampionRegistry(store).DecideAsync(input.Location, input.RunId, input.Fingerprint, input.DatasetPath,
            input.Tolerance, input.NowUtc);
}

/// <summary>What the watcher did about one watched source.</summary>
public sealed record WatchOutcome(string Location, string Source, string Action, string? Fingerprint, string? InstanceId, string Message);

/// <summary>
/// Checks watched datasets for new data and starts one retraining per (location, data fingerprint). Sources:
/// <c>location:KEY</c> and <c>[KEY=]https://…</c> (conditional GET, then SHA-256 of the content; a new version is
/// stored under <c>datasets/KEY/</c> so the run trains on exactly the bytes that were fingerprinted), and
/// <c>blob:datasets/KEY/</c> (the newest version by name) or <c>blob:datasets/KEY/file.csv</c> (ETag, then SHA-256).
/// The retraining instance id is derived from location + fingerprint: the same data never starts two runs.
/// </summary>
public sealed class DatasetWatcher(IArtifactStore store, DataSourceOptions dataOptions, ExperimentSettings retrainSettings,
    double tolerance, ILogger logger)
{
    private readonly ChampionRegistry registry = new(store);

    public async Task<IReadOnlyList<WatchOutcome>> CheckAsync(DurableTaskClient client, IEnumerable<DataSpec> entries, CancellationToken ct = default)
    {
        var outcomes = new List<WatchOutcome>();
        foreach (var entry in entries)
        {
            WatchOutcome outcome;
            try { outcome = await CheckOneAsync(client, entry, ct); }
            catch (Exception e) when (e is InvalidInputException or IOException)
            {
                outcome = new WatchOutcome(entry.WatchKey ?? "?", entry.ToString(), "error", null, null, e.Message);
            }
            logger.LogInformation("watch {Source} ({Location}): {Action} — {Message}", outcome.Source, outcome.Location, outcome.Action, outcome.Message);
            outcomes.Add(outcome);
        }
        return outcomes;
    }

    public async Task<WatchOutcome> CheckOneAsync(DurableTaskClient client, DataSpec spec, CancellationToken ct = default)
    {
        var location = LocationOf(spec);
        var entry = spec.ToString(); // the registry keeps what it saw of each source under its text
        var state = await registry.GetAsync(location, ct);
        var seen = state.Sources.GetValueOrDefault(entry);
        var version = spec is DataSpec.Blob blob
            ? await BlobVersionAsync(blob, seen, ct)
            : await UrlVersionAsync(location, spec.DownloadUrl!, seen, ct); // a watchable non-blob is a URL or a location key
        if (version is null) return new WatchOutcome(location, entry, "no-data", null, null, "no dataset found");

        // Only this source's entry changes, on the state as stored now: the check above took a while (a download),
        // and a champion decided meanwhile must not be written back to the one read before it.
        state = await registry.UpdateAsync(location, current => current.Sources.GetValueOrDefault(entry) == version ? null
            : current with { Sources = new Dictionary<string, SourceSeen>(current.Sources) { [entry] = version } }, ct);
        if (state.Champion?.Fingerprint == version.Fingerprint)
            return new WatchOutcome(location, entry, "unchanged", version.Fingerprint, null, "no new data: the champion was trained on it");
        // Decided already (e.g. refused for not beating persistence, with no champion): retraining would repeat it.
        if (state.Challenger?.Fingerprint == version.Fingerprint)
            return new WatchOutcome(location, entry, "unchanged", version.Fingerprint, null, "no new data: the latest challenger was trained on it");
        return await StartRetrainAsync(client, location, version.DatasetPath, version.Fingerprint, entry, ct);
    }

    /// <summary>Starts retraining on a stored dataset unless a run for the same data is pending, running or done.</summary>
    public async Task<WatchOutcome> StartRetrainAsync(DurableTaskClient client, string location, string datasetPath, string fingerprint,
        string source, CancellationToken ct = default)
    {
        var instanceId = RetrainInstanceId(location, fingerprint);
        var runId = $"{location}-{fingerprint[..12]}";
        var existing = await client.GetInstanceAsync(instanceId, ct);
        if (existing is not null)
        {
            if (existing.RuntimeStatus is not (OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated))
                return new WatchOutcome(location, source, "skipped", fingerprint, instanceId, $"retraining for this data is {existing.RuntimeStatus}");
        }
        // Triggers can race (timer, uploads, several instances): a create-if-absent claim in storage, keyed by what
        // each saw, lets exactly one of them start (or restart) the run, whatever the durable backend does with ids.
        var claim = $"state/{location}/claims/{instanceId}@{existing?.CreatedAt.Ticks ?? 0}";
        if (!await store.CreateNewAsync(claim, System.Text.Encoding.UTF8.GetBytes(DateTime.UtcNow.ToString("O")), ct))
            return new WatchOutcome(location, source, "skipped", fingerprint, instanceId, "retraining for this data was just started by another trigger");
        if (existing is not null)
        {
            // A failed retraining may restart: its finished steps are kept in storage and are not recomputed.
            await client.PurgeInstanceAsync(instanceId, cancellation: ct);
            await client.PurgeInstanceAsync(runId, cancellation: ct);
        }
        await client.ScheduleNewOrchestrationInstanceAsync(nameof(RetrainOrchestrator),
            new RetrainRequest(location, datasetPath, fingerprint, runId, retrainSettings, tolerance),
            new StartOrchestrationOptions { InstanceId = instanceId }, ct);
        return new WatchOutcome(location, source, existing is null ? "started" : "restarted", fingerprint, instanceId,
            $"new data {fingerprint[..12]} → run {runId}");
    }

    public static string RetrainInstanceId(string location, string fingerprint) => $"retrain-{location}-{fingerprint[..16]}";

    private async Task<SourceSeen?> BlobVersionAsync(DataSpec.Blob blob, SourceSeen? seen, CancellationToken ct)
    {
        var path = blob.Path;
        if (blob.IsFolder)
        {
            var newest = (await store.ListAsync(path, ct))
                .Where(p => p.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)).LastOrDefault();
            if (newest is null) return null;
            path = newest;
        }
        var etag = store is IVersionedArtifactStore versioned ? await versioned.VersionAsync(path, ct) : null;
        if (etag is not null && seen is not null && seen.ETag == etag && seen.DatasetPath == path) return seen;
        var bytes = await store.ReadAsync(path, ct) ?? throw new InvalidInputException($"dataset {path} not found");
        Validate(bytes, path);
        return new SourceSeen(Fingerprints.Of(bytes), path, etag, null, DateTime.UtcNow);
    }

    private async Task<SourceSeen> UrlVersionAsync(string location, string url, SourceSeen? seen, CancellationToken ct)
    {
        var fetched = await DataSource.FetchUrlAsync(url, dataOptions, seen is null ? null : new UrlValidators(seen.ETag, seen.LastModified), ct);
        if (fetched.NotModified && seen is not null) return seen with { SeenUtc = DateTime.UtcNow };
        var fingerprint = Fingerprints.Of(fetched.Content);
        var path = DatasetPath(location, fingerprint);
        if (!await store.ExistsAsync(path, ct))
        {
            Validate(fetched.Content, fetched.Url);
            await store.WriteAsync(path, fetched.Content, ct);
        }
        return new SourceSeen(fingerprint, path, fetched.Validators.ETag, fetched.Validators.LastModified, DateTime.UtcNow);
    }

    /// <summary>Where a dataset version is kept: named by its content, so storing it twice is harmless.</summary>
    public static string DatasetPath(string location, string fingerprint) => $"datasets/{location}/{fingerprint[..16]}.csv";

    /// <summary>New data must pass the loader and the study's cleaning before a run is started on it.</summary>
    public void Validate(byte[] content, string source)
    {
        using var stream = new MemoryStream(content);
        var table = RawTableReader.Read(stream, source, dataOptions.MaxBytes);
        var clean = StudyCleaning.Clean(table, retrainSettings.Target, retrainSettings.TargetTransformKind);
        Windowing.Count(clean.Rows, retrainSettings.InputDays, retrainSettings.OutputDays);
    }

    /// <summary>The location a watched dataset retrains; throws for a source the watcher cannot use. A URL's scheme and
    /// host are checked when it is fetched (https and the allow-list).</summary>
    public static string LocationOf(DataSpec entry) => entry.WatchKey ?? throw new InvalidInputException(
        $"watched dataset '{entry}' is not location:KEY, KEY=https://…, https://…/KEY.csv or blob:datasets/KEY/…");
}
