using System.Text.Json;
using Distillery.Cli;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Cli;

public class CliTests
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Prepare_writes_dataset_json_with_the_studys_cleaning()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = await Run("prepare", "--data", RepoPaths.UsFl, "--out", dir.Path);
        Assert.True(code == 0, stderr);
        Assert.Contains("381 windows", stdout);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "dataset.json")));
        var root = json.RootElement;
        Assert.Equal("new_hospitalized_patients", root.GetProperty("target").GetString());
        Assert.Equal(405, root.GetProperty("rows").GetInt32());
        Assert.Equal(381, root.GetProperty("windows").GetInt32());
        Assert.Equal(523, root.GetProperty("features").GetArrayLength());
        Assert.Equal(523, root.GetProperty("min").GetArrayLength());
        Assert.Equal(523, root.GetProperty("max").GetArrayLength());
        Assert.Equal("2020-01-01", root.GetProperty("firstDate").GetString());
        Assert.Equal("2021-02-08", root.GetProperty("lastDate").GetString());
    }

    [Fact]
    public async Task The_forecast_preset_writes_its_settings_and_explicit_options_override_it()
    {
        using var dir = new TempDir();
        var (code, _, stderr) = await Run("run", "--data", RepoPaths.UsFl, "--folds", "2", "--epochs", "1", "--protocol", "leakage-free",
            "--preset", "forecast", "--features", "top:3,", "--out", dir.Path, "--run-id", "cli-forecast");
        Assert.Equal(2, code); // a bad feature list is named before anything runs
        Assert.Contains("features", stderr);
        (code, _, stderr) = await Run("run", "--data", RepoPaths.UsFl, "--folds", "2", "--epochs", "1", "--protocol", "leakage-free",
            "--preset", "forecast", "--early-stopping-patience", "0", "--features", "new_deceased,no_such_column",
            "--out", dir.Path, "--run-id", "cli-forecast");
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "runs", "cli-forecast", "results.json")));
        var settings = json.RootElement.GetProperty("settings");
        Assert.Equal(("last-value", "new_deceased,no_such_column", 32, 1), (settings.GetProperty("normalization").GetString(),
            settings.GetProperty("features").GetString(), settings.GetProperty("batchSize").GetInt32(), settings.GetProperty("epochs").GetInt32()));
        Assert.False(settings.TryGetProperty("earlyStoppingPatience", out _)); // 0 turned the preset's off
        Assert.Equal(["no_such_column"], json.RootElement.GetProperty("dataset").GetProperty("featuresLeftOut").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("no_such_column", File.ReadAllText(Path.Combine(dir.Path, "runs", "cli-forecast", "report.md")));
    }

    [Fact]
    public async Task Run_writes_results_and_models_and_prints_the_summary()
    {
        using var dir = new TempDir();
        var (code, stdout, stderr) = await Run("run", "--data", RepoPaths.UsFl, "--folds", "2", "--epochs", "0",
            "--out", dir.Path, "--run-id", "cli-tiny");
        Assert.True(code == 0, stderr);
        Assert.Contains("best teacher fold", stdout);
        var run = Path.Combine(dir.Path, "runs", "cli-tiny");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
        var root = json.RootElement;
        Assert.Equal("cli-tiny", root.GetProperty("runId").GetString());
        Assert.Equal(10, root.GetProperty("settings").GetProperty("inputDays").GetInt32());
        Assert.Equal(14, root.GetProperty("settings").GetProperty("outputDays").GetInt32());
        Assert.Equal(41029, root.GetProperty("params").GetProperty("teacher").GetInt64());
        Assert.Equal(2, root.GetProperty("folds").GetArrayLength());
        foreach (var model in new[] { "teacher", "student", "fnn" })
        {
            Assert.True(root.GetProperty("summary").GetProperty(model).GetProperty("meanTest").GetDouble() > 0);
            foreach (var fold in new[] { 1, 2 })
            {
                Assert.True(File.Exists(Path.Combine(run, "models", $"{model}-fold{fold}.pt")));
                Assert.True(File.Exists(Path.Combine(run, "models", $"{model}-fold{fold}.safetensors")));
            }
        }
        Assert.True(root.GetProperty("timings").GetProperty("wall").GetDouble() > 0);
    }

    // Bad options and bad data: BadInputTests (one table for every bad input of the command line).
}
