using System.Text.Json;
using Distillery.Cli;
using Distillery.Experiments;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Cli;

/// <summary>A tiny real run (US_FL, 2 folds, 1 epoch) under DIR/runs/predict-cli, made once.</summary>
public sealed class PredictRunFixture : IAsyncLifetime
{
    public const string RunId = "predict-cli";
    public TempDir Dir { get; } = new();
    public string RunDir => Path.Combine(Dir.Path, "runs", RunId);
    public RunResults Results { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var steps = TinyRun.Steps(Dir.Path);
        await TinyRun.RunStepsAsync(steps, RunId, TinyRun.Settings(epochs: 1));
        Results = (await steps.Store.ReadJsonAsync<RunResults>(new RunLayout(RunId).Results))!;
    }

    /// <summary>US_FL's header and its last <paramref name="rows"/> lines (the file is sorted and unquoted), optionally without one column.</summary>
    public string Csv(int rows, string? dropColumn = null)
    {
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        var keep = lines.Take(1).Concat(lines.TakeLast(rows)).Select(l => l.Split(',')).ToList();
        var drop = dropColumn is null ? -1 : Array.IndexOf(keep[0], dropColumn);
        if (dropColumn is not null) Assert.True(drop >= 0);
        var path = Path.Combine(Dir.Path, $"input-{Guid.NewGuid():N}.csv");
        File.WriteAllLines(path, keep.Select(cells => string.Join(',', cells.Where((_, i) => i != drop))));
        return path;
    }

    public Task DisposeAsync()
    {
        Dir.Dispose();
        return Task.CompletedTask;
    }
}

public class PredictTests(PredictRunFixture run) : IClassFixture<PredictRunFixture>
{
    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData(null)]
    [InlineData("student")]
    [InlineData("teacher")]
    public async Task Predict_prints_the_forecast_json(string? model)
    {
        string[] args = ["predict", "--run", run.RunDir, "--input", run.Csv(12)];
        var (code, stdout, stderr) = await Run(model is null ? args : [.. args, "--model", model]);
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        Assert.Equal(model ?? "student", root.GetProperty("model").GetString());
        // The model's measured skill; one warning line when it does not beat persistence (1 epoch: it does not).
        var truth = run.Results.TruthOf(Models.ModelKinds.Parse(model ?? "student")!.Value);
        Assert.Equal(truth.Mase.Mean, root.GetProperty("skill").GetProperty("mase").GetDouble());
        Assert.Equal(run.Results.Protocol, root.GetProperty("skill").GetProperty("protocol").GetString());
        Assert.True(truth.Mase.Mean >= 1, $"MASE {truth.Mase.Mean}");
        Assert.Equal($"warning: run {PredictRunFixture.RunId}: {model ?? "student"} MASE {truth.Mase.Mean.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} ≥ 1: " +
            $"worse than persistence on the held-out folds ({run.Results.Protocol})", Assert.Single(Lines(stderr)));
        Assert.Equal(PredictRunFixture.RunId, root.GetProperty("runId").GetString());
        var fold = model == "teacher" ? run.Results.BestTeacherFold : Serving.Forecaster.ChampionFold(run.Results);
        Assert.Equal(fold, root.GetProperty("fold").GetInt32());
        var days = root.GetProperty("forecast").EnumerateArray().ToList();
        Assert.Equal(14, days.Count);
        Assert.Equal("2021-02-09", days[0].GetProperty("date").GetString());
        Assert.Equal("2021-02-22", days[^1].GetProperty("date").GetString());
        Assert.All(days, d => Assert.True(double.IsFinite(d.GetProperty("value").GetDouble())));
        Assert.True(Lines(stdout).Length > 1, "indented JSON");
    }

    [Fact]
    public async Task A_missing_column_exits_2_with_one_line_naming_it()
    {
        var (code, stdout, stderr) = await Run("predict", "--run", run.RunDir, "--input", run.Csv(10, dropColumn: "new_hospitalized_patients"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(Lines(stderr));
        Assert.Equal("error: missing 1 feature column: new_hospitalized_patients", line.TrimEnd());
    }

    [Fact]
    public async Task Too_few_rows_a_bad_model_a_bad_folder_or_a_missing_input_exit_2_with_one_line()
    {
        var cases = new (string[] Args, string Expected)[]
        {
            (["predict", "--run", run.RunDir, "--input", run.Csv(9)], "needs the last 10 days of input, got 9 rows"),
            (["predict", "--run", run.RunDir, "--input", run.Csv(10), "--model", "fnn"], "model must be student or teacher"),
            (["predict", "--run", run.Dir.Path, "--input", run.Csv(10)], "is not a finished run folder"),
            (["predict", "--run", run.RunDir, "--input", Path.Combine(run.Dir.Path, "nope.csv")], "not found"),
            (["predict", "--run", run.RunDir], "--input"),
        };
        foreach (var (args, expected) in cases)
        {
            var (code, stdout, stderr) = await Run(args);
            Assert.Equal(2, code);
            Assert.Equal("", stdout);
            Assert.Contains(expected, Assert.Single(Lines(stderr)));
        }
    }
}
