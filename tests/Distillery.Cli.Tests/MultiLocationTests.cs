using System.Text.Json;
using Distillery.Cli;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Cli;

public class MultiLocationTests
{
    [Fact]
    public async Task Two_locations_and_both_protocols_run_in_one_orchestration_with_a_section_each()
    {
        using var dir = new TempDir();
        var lines = File.ReadAllLines(RepoPaths.UsFl);
        var second = Path.Combine(dir.Path, "US_XX.csv");
        File.WriteAllLines(second, lines.Take(300));
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = await DistilleryCli.RunAsync(["run", "--data", RepoPaths.UsFl, "--data", second, "--protocol", "both",
            "--folds", "2", "--epochs", "0", "--out", dir.Path, "--run-id", "two"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());

        var run = Path.Combine(dir.Path, "runs", "two");
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "results.json")));
        var parts = index.RootElement.GetProperty("parts").EnumerateArray()
            .Select(p => (p.GetProperty("location").GetString(), p.GetProperty("protocol").GetString(), p.GetProperty("windows").GetInt32()))
            .ToList();
        Assert.Equal([("US_FL", "study", 381), ("US_FL", "leakage-free", 381), ("US_XX", "study", 275), ("US_XX", "leakage-free", 275)], parts);
        foreach (var part in new[] { "US_FL/study", "US_FL/leakage-free", "US_XX/study", "US_XX/leakage-free" })
        {
            using var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, part, "results.json")));
            Assert.Equal(2, results.RootElement.GetProperty("folds").GetArrayLength());
            Assert.True(File.Exists(Path.Combine(run, part, "report.html")));
        }
        var html = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("US_FL · study protocol", html);
        Assert.Contains("US_XX · leakage-free protocol", html);
        Assert.Equal(4, html.Split("<section").Length - 1);
        Assert.DoesNotContain("https://", html);
        Assert.Contains("US_XX", stdout.ToString());
    }
}
