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

    private static string WriteCsv(TempDir dir, string name, string content)
    {
        var path = Path.Combine(dir.Path, name);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>US_FL with one column rewritten, to make real bad files from real data.</summary>
    private static string UsFlWith(TempDir dir, Func<string[], string[]> rewriteRows)
    {
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        return WriteCsv(dir, $"variant-{Guid.NewGuid():N}.csv", string.Join('\n', rewriteRows(lines)));
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

    public static TheoryData<string, string[]> BadOptions => new()
    {
        { "epochs", ["run", "--epochs", "-1"] },
        { "batchSize", ["run", "--batch-size", "0"] },
        { "teacherLr", ["run", "--teacher-lr", "0"] },
        { "studentLr", ["run", "--student-lr", "NaN"] },
        { "inputDays", ["run", "--input-days", "0"] },
        { "outputDays", ["run", "--output-days", "0"] },
        { "folds", ["run", "--folds", "1"] },
        { "--epochs", ["run", "--epochs", "ten"] },
        { "--nope", ["run", "--nope"] },
        { "--parallel", ["run", "--parallel", "0"] },
        { "run id", ["run", "--run-id", "../escape"] },
        { "--data or --location", ["run", "--data", "x.csv", "--location", "US_FL"] },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task An_invalid_option_exits_2_with_one_line_naming_it(string named, string[] args)
    {
        using var dir = new TempDir();
        var (code, _, stderr) = await Run([.. args, "--out", dir.Path]);
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(named, line);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "runs")) &&
                     Directory.EnumerateFiles(Path.Combine(dir.Path, "runs"), "results.json", SearchOption.AllDirectories).Any());
    }

    [Fact]
    public async Task Bad_data_exits_2_with_one_line_and_leaves_no_finished_results()
    {
        using var dir = new TempDir();
        var cases = new (string[] Args, string Named)[]
        {
            (["--data", Path.Combine(dir.Path, "missing.csv")], "not found"),
            (["--data", "https://example.com/US_FL.csv"], "example.com"),
            (["--data", "http://storage.googleapis.com/x.csv"], "https"),
            (["--data", RepoPaths.UsFl, "--target", "no_such_column"], "no_such_column"),
            (["--data", RepoPaths.UsFl, "--target", "country_code"], "distinct"),
            (["--data", RepoPaths.UsFl, "--input-days", "300", "--output-days", "200"], "rows"),
            (["--data", RepoPaths.UsFl, "--folds", "382"], "folds"),
            (["--data", UsFlWith(dir, rows => rows.Select((r, i) => i == 5 ? r.Replace(",2020-01-05,", ",2020-01-05x,") : r).ToArray())], "2020-01-05x"),
            (["--data", UsFlWith(dir, rows => rows.Select((r, i) => i == 7 ? ReplaceField(rows[0], r, "new_confirmed", "lots") : r).ToArray())], "lots"),
        };
        foreach (var (args, named) in cases)
        {
            var (code, _, stderr) = await Run(["run", .. args, "--folds", args.Contains("--folds") ? args[^1] : "2", "--epochs", "0", "--out", dir.Path]);
            Assert.True(code == 2, $"{string.Join(' ', args)} → {code}: {stderr}");
            var line = Assert.Single(stderr.Trim().Split('\n'));
            Assert.Contains(named, line);
        }
        Assert.Empty(Directory.Exists(Path.Combine(dir.Path, "runs"))
            ? Directory.EnumerateFiles(Path.Combine(dir.Path, "runs"), "results.json", SearchOption.AllDirectories)
            : []);
    }

    private static string ReplaceField(string header, string line, string column, string value)
    {
        var fields = line.Split(',');
        fields[Array.IndexOf(header.Split(','), column)] = value;
        return string.Join(',', fields);
    }
}
