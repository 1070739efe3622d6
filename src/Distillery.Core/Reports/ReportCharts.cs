using ScottPlot;

namespace Distillery.Reports;

/// <summary>One line of a chart.</summary>
public sealed record ChartSeries(string Label, double[] X, double[] Y, string ColorHex, bool Dashed = false, float Width = 2, bool Markers = false);

/// <summary>What a prediction chart shows for one window, already in patients/day.</summary>
public sealed record WindowPrediction(int Window, string Target, DateTime[] InputDates, double[] Input, DateTime[] OutputDates,
    double[] Truth, int HeldOutFold, IReadOnlyList<FoldPrediction> Folds);

public sealed record FoldPrediction(int Fold, double[] Teacher, double[] Student, double[] Fnn);

/// <summary>The report's PNG charts, drawn with ScottPlot and the bundled font.</summary>
public static class ReportCharts
{
    // ColorBrewer sequential palettes, dark to light: one family per model.
    public static readonly string[] Reds = ["#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272"];
    public static readonly string[] Blues = ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1"];
    public static readonly string[] Greens = ["#00441b", "#006d2c", "#238b45", "#41ab5d", "#74c476", "#a1d99b"];
    // Categorical (Tableau 10) for the teacher-only charts, where folds are the only distinction.
    public static readonly string[] Category = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>Shade i of n from a dark-to-light palette, spread across the whole palette.</summary>
    public static string Shade(string[] palette, int i, int n) =>
        n <= 1 ? palette[1] : palette[(int)Math.Round(i * (palette.Length - 1) / (double)(n - 1))];

    public static string Categorical(int i) => Category[i % Category.Length];

    /// <summary>A loss-per-pass chart.</summary>
    public static byte[] Losses(string title, string yLabel, IReadOnlyList<ChartSeries> series, int width, int height, string? fontPath = null)
    {
        var plot = NewPlot(title, "Pass (epoch)", yLabel, fontPath);
        var passes = series.Count == 0 ? 0 : series.Max(s => s.X.Length);
        foreach (var s in series) AddLine(plot, s with { Markers = s.Markers || passes <= 30 });
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        if (passes <= 1) plot.Axes.SetLimitsX(0.5, 1.5);
        FinishLegend(plot, series.Count);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>One window: its input days, true output days and every fold's teacher, student and FNN forecast.</summary>
    public static byte[] Window(WindowPrediction w, int width, int height, string? fontPath = null)
    {
        var title = $"Window {w.Window}: forecast {w.OutputDates[0]:yyyy-MM-dd} to {w.OutputDates[^1]:yyyy-MM-dd} (held out in fold {w.HeldOutFold})";
        var plot = NewPlot(title, "Date", $"{w.Target} (patients/day)", fontPath);
        var inX = w.InputDates.Select(d => d.ToOADate()).ToArray();
        var outX = w.OutputDates.Select(d => d.ToOADate()).ToArray();
        var n = w.Folds.Count;
        for (var i = 0; i < n; i++)
        {
            var f = w.Folds[i];
            var held = f.Fold == w.HeldOutFold;
            var suffix = held ? " (held out)" : "";
            float width2 = held ? 3.5f : 1.5f;
            AddLine(plot, new ChartSeries($"Teacher fold {f.Fold}{suffix}", outX, f.Teacher, Shade(Greens, i, n), Width: width2));
            AddLine(plot, new ChartSeries($"Student fold {f.Fold}{suffix}", outX, f.Student, Shade(Reds, i, n), Dashed: true, Width: width2));
            AddLine(plot, new ChartSeries($"FNN fold {f.Fold}{suffix}", outX, f.Fnn, Shade(Blues, i, n), Dashed: true, Width: width2));
        }
        AddLine(plot, new ChartSeries("Input days (true)", inX, w.Input, "#555555", Width: 2.5f, Markers: true));
        AddLine(plot, new ChartSeries("True output days", outX, w.Truth, "#000000", Width: 3f, Markers: true));
        var boundary = plot.Add.VerticalLine((inX[^1] + outX[0]) / 2);
        boundary.Color = Color.FromHex("#888888");
        boundary.LinePattern = LinePattern.Dotted;
        boundary.LineWidth = 1.5f;
        boundary.LegendText = "Forecast starts";
        plot.Axes.DateTimeTicksBottom();
        FinishLegend(plot, 3 * n + 3);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    private static Plot NewPlot(string title, string xLabel, string yLabel, string? fontPath)
    {
        var font = ChartFonts.Ensure(fontPath);
        var plot = new Plot();
        plot.Font.Set(font);
        plot.Legend.SetBestFontOnEachRender = false;
        plot.Legend.FontName = font;
        plot.Legend.FontSize = 13;
        plot.Title(title, size: 18);
        plot.XLabel(xLabel, size: 15);
        plot.YLabel(yLabel, size: 15);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Font.Set(font);
        return plot;
    }

    private static void AddLine(Plot plot, ChartSeries s)
    {
        var line = plot.Add.Scatter(s.X, s.Y);
        line.LegendText = s.Label;
        line.Color = Color.FromHex(s.ColorHex);
        line.LineWidth = s.Width;
        line.LinePattern = s.Dashed ? LinePattern.Dashed : LinePattern.Solid;
        line.MarkerSize = s.Markers ? 6 : 0;
        line.MarkerShape = s.Markers ? MarkerShape.FilledCircle : MarkerShape.None;
    }

    private static void FinishLegend(Plot plot, int items)
    {
        // Many lines: keep the legend beside the data, never over it.
        if (items > 6) plot.ShowLegend(Edge.Right);
        else plot.ShowLegend(Alignment.UpperRight);
    }
}
