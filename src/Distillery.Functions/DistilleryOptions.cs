using Distillery.Data;
using Distillery.Experiments;
using Microsoft.Extensions.Configuration;

namespace Distillery.Functions;

/// <summary>The app settings the Functions app reads (mirrored in local.settings.sample.json and infra/).</summary>
/// <remarks>Scalars are bound by their <see cref="ConfigurationKeyNameAttribute"/>; the lists and RETRAIN_SETTINGS are
/// parsed, and all of it checked, by <see cref="DistilleryOptionsSetup"/>.</remarks>
public sealed record DistilleryOptions
{
    [ConfigurationKeyName("ARTIFACTS_CONTAINER")]
    public string ArtifactsContainer { get; set; } = "distillery";
    /// <summary>WATCHED_DATASETS, parsed when the app starts: a source the watcher cannot use stops it there.</summary>
    public IReadOnlyList<DataSpec> WatchedDatasets { get; set; } = [new DataSpec.Location("US_FL")];
    /// <summary>DATA_URL_ALLOWLIST.</summary>
    public IReadOnlyList<string> UrlAllowList { get; set; } = ["storage.googleapis.com"];
    [ConfigurationKeyName("CHAMPION_TOLERANCE")]
    public double ChampionTolerance { get; set; } = 0.05;
    [ConfigurationKeyName("MAX_UPLOAD_BYTES")]
    public long MaxUploadBytes { get; set; } = 64L << 20;
    /// <summary>Settings of scheduled retraining runs (RETRAIN_SETTINGS, JSON like the POST /api/experiments body;
    /// default <see cref="DefaultRetrainSettings"/>).</summary>
    public ExperimentSettings RetrainSettings { get; set; } = DefaultRetrainSettings;

    /// <summary>The forecast preset measured leakage-free: a model is served on its held-out skill, and skill measured
    /// under the study's leaky protocol is no basis for serving.</summary>
    public static ExperimentSettings DefaultRetrainSettings { get; } =
        Presets.Apply(Presets.Forecast, new ExperimentSettings { Protocol = EvaluationProtocol.LeakageFree.Name });
    /// <summary>Largest JSON body accepted by the API (not an app setting).</summary>
    public long MaxJsonBytes { get; set; } = 64 << 10;
    /// <summary>Models kept loaded for predictions (FORECASTER_CACHE_CAPACITY); the least recently used is freed.</summary>
    [ConfigurationKeyName("FORECASTER_CACHE_CAPACITY")]
    public int ForecasterCacheCapacity { get; set; } = Serving.ForecasterCache.DefaultCapacity;
}
