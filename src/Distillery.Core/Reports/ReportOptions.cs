namespace Distillery.Reports;

/// <summary>How a run's report is drawn and measured.</summary>
public sealed record ReportOptions
{
    /// <summary>The study's example windows (0-based), used where they exist.</summary>
    public static readonly IReadOnlyList<int> StudyWindows = [133, 306, 411, 505, 761];

    /// <summary>Windows (0-based) to draw predictions for. Null: the study's windows that exist, else five spread evenly.</summary>
    public IReadOnlyList<int>? PlotWindows { get; init; }

    public int ChartWidth { get; init; } = 1000;
    public int ChartHeight { get; init; } = 600;

    /// <summary>Forward passes run before timing inference.</summary>
    public int WarmupCalls { get; init; } = 20;

    /// <summary>Timed single-window forward passes per model; the median is reported.</summary>
    public int TimedCalls { get; init; } = 200;

    /// <summary>A TTF file to draw text with. Null: the bundled DejaVu Sans (assets/fonts).</summary>
    public string? FontPath { get; init; }
}

/// <summary>Store paths a report wrote.</summary>
public sealed record ReportOutput(string Html, string Markdown, IReadOnlyList<string> Charts);

/// <summary>Median wall time of one single-window forward pass (batch 1, warm, no_grad).</summary>
public sealed record InferenceTiming(string Model, int Fold, double MedianMicroseconds, double P10Microseconds, double P90Microseconds);

/// <summary>runs/{runId}/report.json: what the report measured, beside the paths it wrote.</summary>
public sealed record ReportRecord(string RunId, DateTime GeneratedUtc, int TorchThreads, int WarmupCalls, int TimedCalls,
    int TimedWindow, InferenceTiming Teacher, InferenceTiming Student, double Speedup, IReadOnlyList<int> PlotWindows,
    IReadOnlyList<string> Charts, string Html, string Markdown);
