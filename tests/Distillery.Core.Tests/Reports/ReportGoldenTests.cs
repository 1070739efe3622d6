using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Reports;
using Distillery.Storage;
using Distillery.Tests.Experiments;

namespace Distillery.Tests.Reports;

/// <summary>
/// Pins the report pages byte for byte: fixed results, report records and tiny chart bytes (tests/fixtures/report/,
/// from a real `--protocol both` run) rendered to the committed pages. Set DISTILLERY_WRITE_GOLDEN=1 to rewrite them,
/// only for a change of output that is meant.
/// </summary>
public class ReportGoldenTests
{
    private const string RunId = "golden-both";
    private static readonly string Fixtures = RepoPaths.Fixture("report");

    [Theory]
    [InlineData("study")]
    [InlineData("leakage-free")]
    public void ThePartsPagesAreTheCommittedBytes(string part)
    {
        var (html, md) = Render(Load(part));
        Check(($"{part}.report.html", html), ($"{part}.report.md", md));
    }

    [Fact]
    public void APageWithoutTruthOrSweepIsTheCommittedBytes()
    {
        // Results of an older run: no comparison against the truth, no student-size sweep.
        var study = Load("study");
        var (html, md) = Render(study with
        {
            Results = study.Results with { Truth = new Dictionary<string, TruthSummary>(), Sweep = [], SmallestStudentWithinTolerance = null },
        });
        Check(("no-truth.report.html", html), ("no-truth.report.md", md));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TheCombinedPageIsTheCommittedBytes(bool withPartPages)
    {
        // A store as the parts' summarize steps leave it (results, report record, dataset, charts, pages), then combined.
        // Without the parts' pages too: the combined page is built from the parts' views, not from their HTML.
        using var dir = new TempDir();
        var run = Path.Combine(Fixtures, RunId);
        foreach (var file in Directory.EnumerateFiles(run, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(dir.Path, new RunLayout(RunId).RunRoot, Path.GetRelativePath(run, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var store = new LocalDirectoryStore(dir.Path);
        var combined = (await store.ReadJsonAsync<CombinedResults>(new RunLayout(RunId).Results))!;
        foreach (var part in combined.Parts)
        {
            var inputs = Load(part.Part);
            var layout = new RunLayout(RunId, part.Part);
            var (losses, windows) = Charts(inputs);
            foreach (var chart in losses.Concat(windows))
                await store.WriteAsync($"{layout.Root}/charts/{chart.FileName}", chart.Png);
            if (!withPartPages) continue;
            var (html, md) = Render(inputs);
            await store.WriteAsync(inputs.Record.Html, Encoding.UTF8.GetBytes(html));
            await store.WriteAsync(inputs.Record.Markdown, Encoding.UTF8.GetBytes(md));
        }

        var path = await CombinedReport.WriteAsync(store, combined, CancellationToken.None);

        Assert.Equal(new RunLayout(RunId).Report, path);
        Check(("combined.report.html", Encoding.UTF8.GetString((await store.ReadAsync(path))!)));
    }

    [Fact]
    public void ChartsOfAnySizeAreEmbeddedWhole()
    {
        // Real charts make pages of megabytes: nothing may be cut (Scriban cuts long strings by default).
        var inputs = Load("study");
        var (losses, windows) = ReportChartTexts.All(inputs.Results, inputs.Meta, inputs.Record.PlotWindows);
        var big = new byte[700_000];
        new Random(1).NextBytes(big);
        var view = ReportView.Build(inputs.Results, inputs.Record, losses.Select(t => t.With(big)).ToList(), windows.Select(t => t.With(big)).ToList());
        var combined = new CombinedResults(RunId, "completed", inputs.Results.Settings,
            [new PartSummary("a", "A", "study", "", "", 1, inputs.Results.Truth), new PartSummary("b", "B", "study", "", "", 1, inputs.Results.Truth)]);
        var uri = "data:image/png;base64," + Convert.ToBase64String(big);
        var html = ReportTemplates.Html(view);
        var page = ReportTemplates.Combined(CombinedReport.Build(combined, [view, view]));

        Assert.Equal(losses.Count + windows.Count, html.Split(uri).Length - 1);
        Assert.EndsWith("</main>\n</body>\n</html>\n", html);
        Assert.Equal(2 * (losses.Count + windows.Count), page.Split(uri).Length - 1);
        Assert.EndsWith("</main>\n</section><hr></body></html>", page);
    }

    private sealed record Inputs(RunResults Results, ReportRecord Record, DatasetArtifact Meta);

    private static Inputs Load(string part)
    {
        var root = Path.Combine(Fixtures, RunId, part);
        T Read<T>(string file) => JsonSerializer.Deserialize<T>(File.ReadAllBytes(Path.Combine(root, file)), ArtifactStoreJson.Options)!;
        return new Inputs(Read<RunResults>("results.json"), Read<ReportRecord>("report.json"), Read<DatasetArtifact>("dataset/dataset.json"));
    }

    /// <summary>The report's charts with tiny fixed bytes in place of the drawn PNGs (drawing is not what is pinned).</summary>
    private static (IReadOnlyList<ReportChart> Losses, IReadOnlyList<ReportChart> Windows) Charts(Inputs inputs)
    {
        var (losses, windows) = ReportChartTexts.All(inputs.Results, inputs.Meta, inputs.Record.PlotWindows);
        ReportChart Tiny(ChartText t) => t.With([0x89, .. Encoding.ASCII.GetBytes($"PNG {t.Name}")]);
        return (losses.Select(Tiny).ToList(), windows.Select(Tiny).ToList());
    }

    private static (string Html, string Markdown) Render(Inputs inputs)
    {
        var (losses, windows) = Charts(inputs);
        var view = ReportView.Build(inputs.Results, inputs.Record, losses, windows);
        return (ReportTemplates.Html(view), ReportTemplates.Markdown(view));
    }

    private static void Check(params (string Name, string Actual)[] pages)
    {
        var write = Environment.GetEnvironmentVariable("DISTILLERY_WRITE_GOLDEN") == "1";
        var failures = new List<string>();
        foreach (var (name, actual) in pages)
        {
            var path = Path.Combine(Fixtures, "expected", name);
            var bytes = Encoding.UTF8.GetBytes(actual);
            if (write) File.WriteAllBytes(path, bytes);
            else if (!File.Exists(path)) failures.Add($"{path} is missing (DISTILLERY_WRITE_GOLDEN=1 writes it)");
            else if (File.ReadAllBytes(path) is var expected && !expected.AsSpan().SequenceEqual(bytes))
                failures.Add($"{name} differs from the committed page: {FirstDifference(expected, bytes)}");
        }
        // Writing never passes: the rewritten pages are to be reviewed and committed first.
        if (write) Assert.Fail($"wrote {string.Join(", ", pages.Select(p => p.Name))}: review the diff, commit and run again without DISTILLERY_WRITE_GOLDEN");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>Where two pages first differ: byte offset, line and column, and the text around it in each.</summary>
    private static string FirstDifference(byte[] expected, byte[] actual)
    {
        var at = 0;
        while (at < expected.Length && at < actual.Length && expected[at] == actual[at]) at++;
        var line = 1 + expected.AsSpan(0, at).Count((byte)'\n');
        var column = at - (expected.AsSpan(0, at).LastIndexOf((byte)'\n') + 1) + 1;
        var quoted = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        string Around(byte[] b) => JsonSerializer.Serialize(Encoding.UTF8.GetString(b, Math.Max(0, at - 60), Math.Min(b.Length, at + 60) - Math.Max(0, at - 60)), quoted);
        return $"first difference at byte {at} (line {line}, column {column}; lengths {expected.Length} expected, {actual.Length} actual)\n" +
               $"  expected: {Around(expected)}\n  actual:   {Around(actual)}";
    }
}
