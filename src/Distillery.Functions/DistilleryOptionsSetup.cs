using System.Globalization;
using System.Reflection;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Distillery.Functions;

/// <summary>
/// Builds <see cref="DistilleryOptions"/> from the app settings: the binder sets the scalars, this parses the lists and
/// RETRAIN_SETTINGS. A value the app cannot use throws <see cref="InvalidInputException"/> (or fails validation) with a
/// message that starts with the setting's name; Program.cs resolves the options at start-up so that it stops there.
/// </summary>
public sealed class DistilleryOptionsSetup(IConfiguration config) : IConfigureOptions<DistilleryOptions>, IValidateOptions<DistilleryOptions>
{
    private static readonly string[] BoundKeys = typeof(DistilleryOptions).GetProperties()
        .Select(p => p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name).OfType<string>().ToArray();

    /// <summary>What a bound number must be, for the error when the binder cannot convert it.</summary>
    private static readonly Dictionary<string, string> Expected = new()
    {
        ["CHAMPION_TOLERANCE"] = "a number",
        ["MAX_UPLOAD_BYTES"] = "a whole number of bytes",
        ["FORECASTER_CACHE_CAPACITY"] = "a whole number ≥ 1",
    };

    public void Configure(DistilleryOptions options)
    {
        Bind(options);
        if (List("DATA_URL_ALLOWLIST") is { } hosts) options.UrlAllowList = hosts;
        if (List("WATCHED_DATASETS") is { } watched) options.WatchedDatasets = watched.Select(Watched).ToArray();
        if (!string.IsNullOrWhiteSpace(config["RETRAIN_SETTINGS"]))
            options.RetrainSettings = RetrainSettingsFrom(config["RETRAIN_SETTINGS"]!, options.UrlAllowList);
    }

    public ValidateOptionsResult Validate(string? name, DistilleryOptions options) => options.ForecasterCacheCapacity >= 1
        ? ValidateOptionsResult.Success
        : ValidateOptionsResult.Fail(Invalid("FORECASTER_CACHE_CAPACITY", options.ForecasterCacheCapacity.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Binds only the bound keys that are set: a blank one keeps its default (the binder cannot convert ""), and
    /// no other setting reaches a property by its name.</summary>
    private void Bind(DistilleryOptions options)
    {
        var set = BoundKeys.Where(k => !string.IsNullOrWhiteSpace(config[k])).ToDictionary(k => k, k => config[k]);
        try { new ConfigurationBuilder().AddInMemoryCollection(set).Build().Bind(options); }
        catch (InvalidOperationException e)
        {
            // The binder names the key inside its sentence ("… at 'KEY' to type …"); the start-up line starts with it.
            var key = set.Keys.FirstOrDefault(k => e.Message.Contains($"'{k}'", StringComparison.Ordinal));
            throw new InvalidInputException(key is null ? e.Message : Invalid(key, config[key]!), e);
        }
    }

    private static string Invalid(string key, string value) => $"{key} must be {Expected[key]}, got '{value}'";

    /// <summary>A comma- or semicolon-separated setting; null when unset or blank (the default stands).</summary>
    private string[]? List(string key) => string.IsNullOrWhiteSpace(config[key])
        ? null
        : config[key]!.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// RETRAIN_SETTINGS, read like a POST /api/experiments body (unknown fields rejected), and refused when retraining
    /// could not honour it: a retraining run is one experiment on one watched dataset, from which one champion is
    /// decided, so <c>protocol: both</c> (two experiments) and data sources (several, or one that the watched dataset
    /// would silently replace) are errors here, at start-up, not at the first run's champion step.
    /// </summary>
    private static ExperimentSettings RetrainSettingsFrom(string json, IReadOnlyCollection<string> allowedHosts)
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

    private static DataSpec Watched(string entry)
    {
        try
        {
            var spec = DataSpec.Parse(entry);
            DatasetWatcher.LocationOf(spec); // throws for a source the watcher cannot use
            return spec;
        }
        catch (InvalidInputException e) { throw new InvalidInputException($"WATCHED_DATASETS: {e.Message}", e); }
    }
}
