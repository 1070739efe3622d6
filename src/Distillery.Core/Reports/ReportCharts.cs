using System.Globalization;
using ScottPlot;

namespace Distillery.Reports;

/// <summary>One line of a chart.</summary>
public sealed record ChartSeries(string Label, double[] X, double[] Y, string ColorHex, bool Dashed = false, float Width = 2, bool Markers = false);

/// <summary>What a prediction chart shows for one window, already in patients/day.</summary>
public sealed record WindowPrediction(int Window, string Target, DateTime[] InputDates, double[] Input, DateTime[] OutputDates,
    double[] Truth, int HeldOutFold, IReadOnlyList<FoldPrediction> Folds);

/// <summary>TeacherBand, StudentBand: the models' central intervals when they were calibrated (drawn for the held-out fold).</summary>
public sealed record FoldPrediction(int Fold, double[] Teacher, double[] Student, double[] Fnn,
    ForecastBand? TeacherBand = null, ForecastBand? StudentBand = null);

/// <summary>A fan: the central 50 % and 95 % intervals of a quantile forecast, per output day (patients/day).</summary>
public sealed record ForecastBand(double[] Lower95, double[] Upper95, double[] Lower50, double[] Upper50)
{
    public static ForecastBand Of(IReadOnlyList<Scoring.QuantileForecast> days)
    {
        var i95 = Scoring.QuantileLevels.Interval(0.95);
        var i50 = Scoring.QuantileLevels.Interval(0.5);
        return new ForecastBand(days.Select(d => d.Lower(i95)).ToArray(), days.Select(d => d.Upper(i95)).ToArray(),
            days.Select(d => d.Lower(i50)).ToArray(), days.Select(d => d.Upper(i50)).ToArray());
    }
}

/// <summary>The report's PNG charts, drawn with ScottPlot and the bundled font.</summary>
public static class ReportCharts
{
    // ColorBrewer sequential palettes, dark to light: one family per model.
    public static readonly string[] Reds = ["#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272"];
    public static readonly string[] Blues = ["#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1"];
    public static readonly string[] Greens = ["#00441b", "#006d2c", "#238b45", "#41ab5d", "#74c476", "#a1d99b"];
    // For forecast lines on white: the palettes without their palest shade.
    private static readonly string[] LineReds = Reds[..^1];
    private static readonly string[] LineBlues = Blues[..^1];
    private static readonly string[] LineGreens = Greens[..^1];
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
        FinishLegend(plot);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>Points joined by lines on free axes (the student-size sweep), optionally with a logarithmic x axis.</summary>
    public static byte[] Points(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool logX, int width, int height,
        string? fontPath = null)
    {
        var plot = NewPlot(title, xLabel, yLabel, fontPath);
        foreach (var s in series)
        {
            var order = Enumerable.Range(0, s.X.Length).OrderBy(i => s.X[i]).ToArray();
            var x = order.Select(i => logX ? Math.Log10(s.X[i]) : s.X[i]).ToArray();
            AddLine(plot, s with { X = x, Y = order.Select(i => s.Y[i]).ToArray(), Markers = true });
        }
        if (logX)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Math.Pow(10, v).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
            };
        FinishLegend(plot);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    /// <summary>One window: its input days, true output days and every fold's teacher, student and FNN forecast.</summary>
    public static byte[] Window(WindowPrediction w, int width, int height, string? fontPath = null)
    {
        var title = $"Window {w.Window}: forecast {w.OutputDates[0]:yyyy-MM-dd} to {w.OutputDates[^1]:yyyy-MM-dd} (held out in fold {w.HeldOutFold})";
        var years = w.InputDates[0].Year == w.OutputDates[^1].Year ? $"{w.InputDates[0].Year}" : $"{w.InputDates[0].Year}–{w.OutputDates[^1].Year}";
        var plot = NewPlot(title, $"Date ({years})", $"{w.Target} (patients/day)", fontPath);
        var inX = w.InputDates.Select(d => d.ToOADate()).ToArray();
        var outX = w.OutputDates.Select(d => d.ToOADate()).ToArray();
        var n = w.Folds.Count;
        // Fans first, under the lines: the held-out fold's teacher and student, 95 % pale and 50 % deeper.
        if (w.Folds.FirstOrDefault(f => f.Fold == w.HeldOutFold) is { } heldOut)
        {
            AddFan(plot, outX, heldOut.TeacherBand, "Teacher", LineGreens[1]);
            AddFan(plot, outX, heldOut.StudentBand, "Student", LineReds[1]);
        }
        // Up to 5 folds every line has its own legend entry; more would not fit, so then one entry per model.
        var perFold = n <= 5;
        for (var i = 0; i < n; i++)
        {
            var f = w.Folds[i];
            var held = f.Fold == w.HeldOutFold;
            var label = held ? $" fold {f.Fold} (held out)" : $" fold {f.Fold}";
            float lineWidth = held ? 3.5f : 1.5f;
            // The held-out fold's forecasts are the honest ones: drawn thick and opaque, the others thin and faded.
            var alpha = held ? 1.0 : 0.6;
            AddLine(plot, new ChartSeries("Teacher" + label, outX, f.Teacher, Shade(LineGreens, i, n), Width: lineWidth), alpha, perFold);
            AddLine(plot, new ChartSeries("Student" + label, outX, f.Student, Shade(LineReds, i, n), Dashed: true, Width: lineWidth), alpha, perFold);
            AddLine(plot, new ChartSeries("FNN" + label, outX, f.Fnn, Shade(LineBlues, i, n), Dashed: true, Width: lineWidth), alpha, perFold);
        }
        AddLine(plot, new ChartSeries("Input days (true)", inX, w.Input, "#555555", Width: 2.5f, Markers: true));
        AddLine(plot, new ChartSeries("True output days", outX, w.Truth, "#000000", Width: 3f, Markers: true));
        if (!perFold)
        {
            LegendLine(plot, $"Teacher, folds 1–{n} (greens)", LineGreens[1], false);
            LegendLine(plot, $"Student, folds 1–{n} (reds)", LineReds[1], true);
            LegendLine(plot, $"FNN, folds 1–{n} (blues)", LineBlues[1], true);
            LegendLine(plot, $"Thick: fold {w.HeldOutFold} (held out)", "#555555", false, 3.5f);
        }
        var boundary = plot.Add.VerticalLine((inX[^1] + outX[0]) / 2);
        boundary.Color = Color.FromHex("#888888");
        boundary.LinePattern = LinePattern.Dotted;
        boundary.LineWidth = 1.5f;
        boundary.LegendText = "Forecast starts";
        plot.Axes.DateTimeTicksBottom();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.DateTimeAutomatic { LabelFormatter = d => d.ToString("MMM d", CultureInfo.InvariantCulture) };
        FinishLegend(plot);
        return plot.GetImageBytes(width, height, ImageFormat.Png);
    }

    private static void AddFan(Plot plot, double[] x, ForecastBand? band, string model, string color)
    {
        if (band is null) return;
        foreach (var (lower, upper, alpha, label) in new[]
                 { (band.Lower95, band.Upper95, 0.15, "95 %"), (band.Lower50, band.Upper50, 0.3, "50 %") })
        {
            var fill = plot.Add.FillY(x, lower, upper);
            fill.FillColor = Color.FromHex(color).WithAlpha(alpha);
            fill.LineColor = Colors.Transparent;
            fill.LegendText = $"{model} {label} interval (held out)";
        }
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

    private static void AddLine(Plot plot, ChartSeries s, double alpha = 1, bool inLegend = true)
    {
        var line = plot.Add.Scatter(s.X, s.Y);
        if (inLegend) line.LegendText = s.Label;
        line.Color = Color.FromHex(s.ColorHex).WithAlpha(alpha);
        line.LineWidth = s.Width;
        line.LinePattern = s.Dashed ? LinePattern.Dashed : LinePattern.Solid;
        line.MarkerSize = s.Markers ? 6 : 0;
        line.MarkerShape = s.Markers ? MarkerShape.FilledCircle : MarkerShape.None;
    }

    /// <summary>A legend entry without a line of its own; the data lines keep no entries then.</summary>
    private static void LegendLine(Plot plot, string label, string color, bool dashed, float width = 2)
    {
        var entry = plot.Add.Scatter(new[] { double.NaN }, new[] { double.NaN });
        entry.LegendText = label;
        entry.Color = Color.FromHex(color);
        entry.LineWidth = width;
        entry.LinePattern = dashed ? LinePattern.Dashed : LinePattern.Solid;
        entry.MarkerSize = 0;
    }

    private static void FinishLegend(Plot plot)
    {
        // Beside the data, never over it: lines can end anywhere on the right.
        plot.ShowLegend(Edge.Right);
    }
}
