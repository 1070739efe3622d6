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
