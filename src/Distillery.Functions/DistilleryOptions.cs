using System.Globalization;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Workflow;
using Microsoft.Extensions.Configuration;

namespace Distillery.Functions;

/// <summary>The app settings the Functions app reads (mirrored in local.settings.sample.json and infra/).</summary>
public sealed record DistilleryOptions
{
    public string TaskHub { get; init; } = "DistilleryHub";
    public string ArtifactsContainer { get; init; } = "distillery";
    /// <summary>WATCHED_DATASETS, parsed when the app starts: a source the watcher cannot use stops it there.</summary>
    public IReadOnlyList<DataSpec> WatchedDatasets { get; init; } = [new DataSpec.Location("US_FL")];
    public IReadOnlyList<string> UrlAllowList { get; init; } = ["storage.googleapis.com"];
    public double ChampionTolerance { get; init; } = 0.05;
    public long MaxUploadBytes { get; init; } = 64L << 20;
    /// <summary>Settings of scheduled retraining runs (RETRAIN_SETTINGS, JSON like the POST /api/experiments body;
    /// default: the study's).</summary>
    public ExperimentSettings RetrainSettings { get; init; } = new();
    public string RetrainSchedule { get; init; } = "0 0 3 * * *";
    /// <summary>Largest JSON body accepted by the API.</summary>
    public long MaxJsonBytes { get; init; } = 64 << 10;
    /// <summary>Models kept loaded for predictions (FORECASTER_CACHE_CAPACITY); the least recently used is freed.</summary>
    public int ForecasterCacheCapacity { get; init; } = Serving.ForecasterCache.DefaultCapacity;

    public static DistilleryOptions From(IConfiguration config)
    {
        static IReadOnlyList<string> List(string? value, IReadOnlyList<string> fallback) => string.IsNullOrWhiteSpace(value)
            ? fallback
            : value.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var defaults = new DistilleryOptions();
        return new DistilleryOptions
        {
            TaskHub = config["DURABLE_TASK_HUB"] ?? defaults.TaskHub,
            ArtifactsContainer = config["ARTIFACTS_CONTAINER"] ?? defaults.ArtifactsContainer,
            WatchedDatasets = string.IsNullOrWhiteSpace(config["WATCHED_DATASETS"])
                ? defaults.WatchedDatasets
                : Watched(List(config["WATCHED_DATASETS"], [])),
            UrlAllowList = List(config["DATA_URL_ALLOWLIST"], defaults.UrlAllowList),
            ChampionTolerance = double.TryParse(config["CHAMPION_TOLERANCE"], CultureInfo.InvariantCulture, out var t) ? t : defaults.ChampionTolerance,
            MaxUploadBytes = long.TryParse(config["MAX_UPLOAD_BYTES"], CultureInfo.InvariantCulture, out var m) ? m : defaults.MaxUploadBytes,
            RetrainSchedule = config["RETRAIN_SCHEDULE"] ?? defaults.RetrainSchedule,
            ForecasterCacheCapacity = CacheCapacity(config["FORECASTER_CACHE_CAPACITY"], defaults.ForecasterCacheCapacity),
            RetrainSettings = string.IsNullOrWhiteSpace(config["RETRAIN_SETTINGS"])
                ? defaults.RetrainSettings
                : RetrainSettingsFrom(config["RETRAIN_SETTINGS"]!, List(config["DATA_URL_ALLOWLIST"], defaults.UrlAllowList)),
        };
    }

    /// <summary>
    /// RETRAIN_SETTINGS, read like a POST /api/experiments body (unknown fields rejected), and refused when retraining
    /// could not honour it: a retraining run is one experiment on one watched dataset, from which one champion is
    /// decided, so <c>protocol: both</c> (two experiments) and data sources (several, or one that the watched dataset
    /// would silently replace) are errors here, at start-up, not at the first run's champion step.
    /// </summary>
    public static ExperimentSettings RetrainSettingsFrom(string json, IReadOnlyCollection<string> allowedHosts)
    {
        var (parsed, errors) = Http.ExperimentBody.Parse(System.Text.Encoding.UTF8.GetBytes(json), allowedHosts);
        if (parsed is null)
            throw new InvalidInputException($"RETRAIN_SETTINGS is not valid: {string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(", ", e.Value)}"))}");
        var settings = parsed.Settings;
        if (settings.Protocols.Count > 1)
            throw new InvalidInputException("RETRAIN_SETTINGS: protocol 'both' runs two experiments, but retraining decides one champion " +
                                            "from one experiment: use \"study\" or \"leakage-free\"");
        if (settings.Data is not null)
            throw new InvalidInputException($"RETRAIN_SETTINGS: data (or location) names {settings.Sources.Count} source(s), but retraining trains on " +
                                            "one watched dataset at a time (list the sources in WATCHED_DATASETS): remove it");
        if (parsed.RunId is not null)
            throw new InvalidInputException("RETRAIN_SETTINGS: runId cannot be set: each retraining run's id comes from its location and data");
        return settings;
    }

    private static IReadOnlyList<DataSpec> Watched(IReadOnlyList<string> entries) => entries.Select(entry =>
    {
        try
        {
            var spec = DataSpec.Parse(entry);
            DatasetWatcher.LocationOf(spec); // throws for a source the watcher cannot use
            return spec;
        }
        catch (InvalidInputException e) { throw new InvalidInputException($"WATCHED_DATASETS: {e.Message}", e); }
    }).ToArray();

    private static int CacheCapacity(string? value, int fallback)
    {
        if (string.IsNullOrWhiteSpace(value)) return fallback;
        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 1
            ? n
            : throw new InvalidInputException($"FORECASTER_CACHE_CAPACITY must be a whole number ≥ 1, got '{value}'");
    }
}
