using System.Diagnostics;
using Distillery.Functions;
using Microsoft.Extensions.Options;

namespace Distillery.Tests.Functions;

/// <summary>RETRAIN_SETTINGS that retraining cannot honour are refused when the app starts, naming the setting.</summary>
public class RetrainSettingsTests
{
    private static DistilleryOptions From(params (string Key, string Value)[] settings) => AppSettings.Options(settings);

    [Theory]
    [InlineData("""{"protocol": "both"}""", "protocol")]
    [InlineData("""{"data": "location:US_FL,location:US_TX"}""", "data")]
    [InlineData("""{"folds": 2, "data": "https://storage.googleapis.com/covid19-open-data/v3/location/US_FL.csv"}""", "data")]
    [InlineData("""{"location": "US_TX"}""", "data")]
    [InlineData("""{"runId": "fixed"}""", "runId")]
    [InlineData("""{"epochs": -1}""", "epochs")]
    [InlineData("""{"epoch": 5}""", "epoch")]
    [InlineData("""not json""", "not valid JSON")]
    public void Settings_retraining_cannot_honour_are_refused_naming_the_setting(string json, string named) =>
        AssertRefused("RETRAIN_SETTINGS", json, named);

    private static void AssertRefused(string setting, string value, string named)
    {
        // Parse errors are thrown while the options are configured, range errors by their validation: Program.cs reports both.
        var e = Assert.ThrowsAny<Exception>(() => From((setting, value)));
        Assert.True(e is InvalidInputException or OptionsValidationException, e.ToString());
        Assert.StartsWith(setting, e.Message);
        Assert.Contains(named, e.Message);
    }

    [Fact]
    public void One_experiment_settings_are_accepted()
    {
        var options = From(("RETRAIN_SETTINGS", """{"protocol": "leakage-free", "folds": 3, "epochs": 10}"""), ("FORECASTER_CACHE_CAPACITY", "3"));
        Assert.Equal(("leakage-free", 3, 10), (options.RetrainSettings.Protocol, options.RetrainSettings.Folds, options.RetrainSettings.Epochs));
        Assert.Equal(3, options.ForecasterCacheCapacity);
        // Unset: the forecast preset, measured leakage-free.
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(Distillery.Experiments.Presets.Apply("forecast", new() { Protocol = "leakage-free" })),
            System.Text.Json.JsonSerializer.Serialize(From().RetrainSettings));
        Assert.Equal(("leakage-free", "last-value", 10), (From().RetrainSettings.Protocol, From().RetrainSettings.Normalization,
            From().RetrainSettings.EarlyStoppingPatience));
    }

    [Theory]
    [InlineData("location:US_FL,location:us_tx", "invalid location key 'us_tx'")]
    [InlineData("data/US_FL.csv", "watched dataset 'data/US_FL.csv' is not location:KEY")]
    [InlineData("blob:runs/x/", "is not location:KEY")]
    [InlineData("blob:datasets/../x/", "is not a clean relative path")]
    [InlineData("https://storage.googleapis.com/export.csv", "is not location:KEY, KEY=https://…")]
    public void A_watched_dataset_the_watcher_cannot_use_is_refused_at_start_naming_the_setting(string value, string named) =>
        AssertRefused("WATCHED_DATASETS", value, named);

    [Fact]
    public void Watched_datasets_are_parsed_once_at_start()
    {
        var watched = From(("WATCHED_DATASETS", "location:US_FL; US_TX=https://storage.googleapis.com/tx.csv,blob:datasets/US_GA/")).WatchedDatasets;
        Assert.Equal(["location:US_FL", "US_TX=https://storage.googleapis.com/tx.csv", "blob:datasets/US_GA/"], watched.Select(w => w.ToString()));
        Assert.Equal(["US_FL", "US_TX", "US_GA"], watched.Select(w => w.WatchKey));
        Assert.Equal("location:US_FL", Assert.Single(From().WatchedDatasets).ToString()); // unset: US_FL
    }

    [Theory]
    [InlineData("0")]
    [InlineData("many")]
    public void A_bad_cache_capacity_is_refused_naming_the_setting(string value) =>
        AssertRefused("FORECASTER_CACHE_CAPACITY", value, $"must be a whole number ≥ 1, got '{value}'");

    [Theory]
    [InlineData("CHAMPION_TOLERANCE", "abc", "must be a number, got 'abc'")]
    [InlineData("MAX_UPLOAD_BYTES", "1.5", "must be a whole number of bytes, got '1.5'")]
    public void A_number_the_binder_cannot_convert_is_refused_naming_the_setting(string setting, string value, string named) =>
        AssertRefused(setting, value, named);

    /// <summary>The app itself, started as the Functions host starts it: it stops at once with the reason, before it
    /// serves anything (not at the first retraining's champion step).</summary>
    [Fact]
    public async Task The_app_refuses_to_start_with_protocol_both()
    {
        var app = Path.Combine(AppContext.BaseDirectory, "Distillery.Functions.dll");
        var info = new ProcessStartInfo("dotnet", [app]) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["RETRAIN_SETTINGS"] = """{"protocol": "both"}""";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.NotEqual(0, process.ExitCode);
        var error = await stderr;
        Assert.Contains("error: RETRAIN_SETTINGS", error);
        Assert.Contains("protocol", error);
        Assert.DoesNotContain("   at ", error); // one line, no stack trace
        _ = await stdout;
    }
}
