using Distillery.Models;
using System.Text.Json;
using System.Text.RegularExpressions;
using Distillery.Experiments;
using Distillery.Reports;
using Distillery.Storage;
using SkiaSharp;

namespace Distillery.Tests.Reports;

[Collection(ReportRunCollection.Name)]
public class RunReportTests(ReportRunFixture run)
{
    private static readonly string[] LossCharts = ["teacher-train-loss", "teacher-test-loss", "student-fnn-train-loss", "student-fnn-test-loss"];

    [Fact]
    public void WritesTheFourLossChartsAndOneChartPerStudyWindowThatExists()
    {
        // US_FL has fewer than 411 windows: of the study's windows only 133 and 306 exist.
        Assert.InRange(run.Results.Dataset.Windows, 307, 410);
        var expected = LossCharts.Concat(["window-133", "window-306"]).Select(n => $"runs/{ReportRunFixture.RunId}/charts/{n}.png");
        Assert.Equal(expected, run.Output.Charts);
        Assert.Equal($"runs/{ReportRunFixture.RunId}/report.html", run.Output.Html);
        Assert.Equal($"runs/{ReportRunFixture.RunId}/report.md", run.Output.Markdown);
    }

    [Fact]
    public void EveryChartIsAReadablePngWithTextAndLines()
    {
        var options = new ReportOptions();
        foreach (var path in run.Output.Charts)
        {
            using var bitmap = SKBitmap.Decode(run.FullPath(path));
            Assert.NotNull(bitmap);
            Assert.Equal((options.ChartWidth, options.ChartHeight), (bitmap.Width, bitmap.Height));

            var background = bitmap.GetPixel(2, 2);
            var differing = 0;
            for (var y = 0; y < bitmap.Height; y += 2)
                for (var x = 0; x < bitmap.Width; x += 2)
                    if (bitmap.GetPixel(x, y) != background) differing++;
            Assert.True(differing > bitmap.Width * bitmap.Height / 4 / 50, $"{path}: only {differing} sampled pixels differ from the background");

            // Text: the title (top centre) and the y-axis label (left edge) are drawn in dark glyphs.
            Assert.True(DarkPixels(bitmap, new SKRectI(bitmap.Width / 4, 0, bitmap.Width * 3 / 4, 45)) > 150, $"{path}: no title text");
            Assert.True(DarkPixels(bitmap, new SKRectI(0, bitmap.Height / 4, 30, bitmap.Height * 3 / 4)) > 100, $"{path}: no y-axis label");
        }
    }

    [Fact]
    public void TheBundledFontIsRegisteredAsScottPlotsDefault()
    {
        Assert.True(File.Exists(ChartFonts.BundledPath));
        Assert.Equal(ChartFonts.Name, ChartFonts.Ensure());
        Assert.Equal(ChartFonts.Name, ScottPlot.Fonts.Default);
        using var typeface = ScottPlot.Fonts.GetTypeface(ChartFonts.Name, bold: true, italic: false);
        Assert.Equal(ChartFonts.Name, typeface.FamilyName);
    }

    [Fact]
    public void HtmlIsSelfContainedAndShowsTheTable()
    {
        var html = run.Html;
        Assert.Equal(run.Output.Charts.Count, Regex.Matches(html, "<img src=\"data:image/png;base64,").Count);
        Assert.True(run.Output.Charts.Count >= 5);
        foreach (var forbidden in new[] { "http://", "https://", "<script", "<link", "src=\"charts/", "url(" })
            Assert.DoesNotContain(forbidden, html, StringComparison.OrdinalIgnoreCase);

        var r = run.Results;
        foreach (var key in ModelKinds.All)
        {
            var s = r.Summary[key];
            Assert.Contains(Encoded(ReportFormat.MeanSem(s.MeanTrain, s.SemTrain)), html);
            Assert.Contains(Encoded(ReportFormat.MeanSem(s.MeanTest, s.SemTest)), html);
        }
        Assert.Contains(Encoded(ReportFormat.MeanSem(r.StudentTestVsTruth.Mean, r.StudentTestVsTruth.Sem)), html);
        Assert.Contains(Encoded(ReportFormat.Difference(r.Summary[ModelKind.Fnn].MeanTest, r.Summary[ModelKind.Teacher].MeanTest)), html);
        Assert.Contains(ReportFormat.Count(r.Params[ModelKind.Teacher]), html);
        Assert.Contains(ReportFormat.Count(r.Params[ModelKind.Student]), html);
        Assert.Contains("How to read this", html);
        // Every setting and the provenance.
        foreach (var p in JsonSerializer.SerializeToElement(r.Settings, ArtifactStoreJson.Options).EnumerateObject())
            Assert.Contains($"<th scope=\"row\">{p.Name}</th>", html);
        Assert.Contains(r.Dataset.FirstDate, html);
        Assert.Contains(r.Dataset.LastDate, html);
        Assert.Contains(r.Dataset.Target, html);
    }

    [Fact]
    public async Task ReportJsonHoldsPositiveTimingsAndMarkdownLinksTheCharts()
    {
        var record = (await run.Store.ReadJsonAsync<ReportRecord>($"runs/{ReportRunFixture.RunId}/report.json"))!;
        Assert.True(record.Teacher.MedianMicroseconds > 0);
        Assert.True(record.Student.MedianMicroseconds > 0);
        Assert.Equal(run.Results.BestTeacherFold, record.Teacher.Fold);
        Assert.Equal(1, record.Student.Fold);
        Assert.Equal(run.Output.Charts, record.Charts);
        Assert.Contains(Encoded(ReportFormat.Microseconds(record.Teacher.MedianMicroseconds)), run.Html);

        var md = run.Markdown;
        foreach (var chart in run.Output.Charts)
            Assert.Contains($"](charts/{Path.GetFileName(chart)})", md);
        Assert.Contains(ReportFormat.MeanSem(run.Results.Summary[ModelKind.Teacher].MeanTest, run.Results.Summary[ModelKind.Teacher].SemTest), md);
        Assert.DoesNotContain("base64", md);
    }

    [Fact]
    public async Task RerunningOverwritesAndDropsChartsOfOtherWindows()
    {
        // A separate copy of the run, so the shared rendering stays as the other tests expect.
        var copy = Path.Combine(Path.GetTempPath(), "distillery-report-copy-" + Guid.NewGuid().ToString("N"));
        try
        {
            CopyDirectory(run.Root, copy);
            var store = new LocalDirectoryStore(copy);
            var options = new ReportOptions { PlotWindows = [5], WarmupCalls = 2, TimedCalls = 5 };
            var first = await RunReport.WriteAsync(store, ReportRunFixture.RunId, options);
            var second = await RunReport.WriteAsync(store, ReportRunFixture.RunId, options);
            Assert.Equal(first, second, new OutputComparer());
            var charts = await store.ListAsync($"runs/{ReportRunFixture.RunId}/charts/");
            Assert.Equal(LossCharts.Concat(["window-5"]).Select(n => $"runs/{ReportRunFixture.RunId}/charts/{n}.png").Order(StringComparer.Ordinal), charts);
            await Assert.ThrowsAsync<InvalidInputException>(() =>
                RunReport.WriteAsync(store, ReportRunFixture.RunId, options with { PlotWindows = [run.Results.Dataset.Windows] }));
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private sealed class OutputComparer : IEqualityComparer<ReportOutput>
    {
        public bool Equals(ReportOutput? a, ReportOutput? b) =>
            a!.Html == b!.Html && a.Markdown == b.Markdown && a.Charts.SequenceEqual(b.Charts);
        public int GetHashCode(ReportOutput o) => o.Html.GetHashCode();
    }

    private static string Encoded(string text) => ReportTemplates.EscapeHtml(text);

    private static int DarkPixels(SKBitmap bitmap, SKRectI region)
    {
        var dark = 0;
        for (var y = region.Top; y < region.Bottom; y++)
            for (var x = region.Left; x < region.Right; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Red + c.Green + c.Blue < 200) dark++;
            }
        return dark;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

public class ReportUnitTests
{
    [Fact]
    public void DefaultWindowsAreTheStudysThatExistElseFiveSpreadEvenly()
    {
        Assert.Equal([133, 306, 411, 505, 761], RunReport.ChooseWindows(null, 1000));
        Assert.Equal([133, 306], RunReport.ChooseWindows(null, 400));
        Assert.Equal([0, 25, 50, 74, 99], RunReport.ChooseWindows(null, 100));
        Assert.Equal([0, 1, 2], RunReport.ChooseWindows(null, 3));
        Assert.Equal([7, 3], RunReport.ChooseWindows([7, 3, 7], 10));
        Assert.Throws<InvalidInputException>(() => RunReport.ChooseWindows([10], 10));
        Assert.Throws<InvalidInputException>(() => RunReport.ChooseWindows([-1], 10));
    }

    [Theory]
    [InlineData(12.3456, "12.35")]
    [InlineData(0.0123456, "0.01235")]
    [InlineData(1234.5, "1235")]
    [InlineData(1.5, "1.500")]
    [InlineData(0, "0")]
    [InlineData(double.NaN, "—")]
    public void NumbersHaveFourSignificantDigitsWithoutExponents(double value, string expected) =>
        Assert.Equal(expected, ReportFormat.Number(value));

    [Fact]
    public void DifferencesAreSignedWithTheRelativeChange()
    {
        Assert.Equal("+0.5000 (+50.0 %)", ReportFormat.Difference(1.5, 1.0));
        Assert.Equal("−0.2500 (−25.0 %)", ReportFormat.Difference(0.75, 1.0));
        Assert.Equal("1.000 ± 0.10", ReportFormat.MeanSem(1, 0.1));
        Assert.Equal("1.000", ReportFormat.MeanSem(1, double.NaN));
    }

    [Fact]
    public void HtmlTextNeverFormsAnAddress()
    {
        var text = ReportTemplates.EscapeHtml("https://example.org/a?b=<c>");
        Assert.DoesNotContain("://", text);
        Assert.Contains("&lt;c&gt;", text);
    }
}
