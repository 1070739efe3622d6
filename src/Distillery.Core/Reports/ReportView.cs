using System.Globalization;
using System.Text.Json;
using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Reports;

/// <summary>A table of a page as display text; the first <see cref="LabelColumns"/> columns are labels, the rest numbers.</summary>
public sealed record TableView(string Caption, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, int LabelColumns);

/// <summary>A chart of a page: the HTML embeds it as a data URI, the Markdown links charts/{File}.</summary>
public sealed record ChartView(string Id, string Title, string Caption, string File, string DataUri);

public sealed record NameValue(string Name, string Value);

/// <summary>
/// Everything one report page shows, already formatted (invariant culture, not yet escaped): built once from the
/// results, the report record and the charts, and rendered from it to HTML and to Markdown.
/// </summary>
public sealed record ReportView
{
    public required string RunId { get; init; }
    public required string Intro { get; init; }
    public required IReadOnlyList<string> HowToRead { get; init; }
    public required TableView Results { get; init; }
    public required string SpeedLine { get; init; }
    /// <summary>Null for results without the comparison against the truth.</summary>
    public required TableView? Truth { get; init; }
    /// <summary>Leakage-free: the scores against the truth (MASE, WIS, relative WIS, the verdict) lead the page.</summary>
    public bool TruthFirst { get; init; }
    /// <summary>What beats persistence and whether distillation helped, in plain words; null without the truth.</summary>
    public string? Verdict { get; init; }
    /// <summary>WIS and coverage; null unless the run scored them (early stopping made a validation block).</summary>
    public TableView? Probabilistic { get; init; }
    public string? ProbabilisticNote { get; init; }
    public required IReadOnlyList<ChartView> LossCharts { get; init; }
    public required IReadOnlyList<ChartView> WindowCharts { get; init; }
    public required IReadOnlyList<NameValue> Data { get; init; }
    public required string FeatureCount { get; init; }
    public required string Features { get; init; }
    public required IReadOnlyList<NameValue> Settings { get; init; }
    public required IReadOnlyList<NameValue> JobTimings { get; init; }
    public required string Generated { get; init; }

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static readonly string[] TruthHeader = ["Model", "MAE (patients/day)", "RMSE (patients/day)", "MASE", "MSE (scaled)", "MAE day 1", "MAE day 14"];

    public static ReportView Build(RunResults results, ReportRecord record, IReadOnlyList<ReportChart> lossCharts, IReadOnlyList<ReportChart> windowCharts)
    {
        var d = results.Dataset;
        var settings = results.Settings;
        return new ReportView
        {
            RunId = results.RunId,
            Intro = string.Create(Inv,
                $"Run {results.RunId} ({results.Status}, protocol \"{results.Protocol}\"): an LSTM teacher distilled into a feed-forward student, " +
                $"compared with the same feed-forward network trained without a teacher (FNN), over {results.Folds.Count} folds."),
            HowToRead =
            [
                "Losses are sums over windows of each window's mean squared error on the [0, 1]-scaled target: a train loss sums the fold's training windows, a test loss its held-out windows. Lower is better; \"mean ± SEM\" is over folds.",
                "The teacher's and the FNN's losses, and \"Distilled student, test vs truth\", are measured against the true targets.",
                "The distilled student's train and test losses are measured against the teacher's outputs, not the truth: they show how well it imitates the teacher. Compare its \"test vs truth\" row with the teacher and the FNN.",
                "Δ is the model's mean minus the teacher's mean (negative: lower loss than the teacher).",
                string.Create(Inv, $"Inference is the median wall time of one forward pass on a single window (batch 1, warm, no gradients, {record.TorchThreads} torch thread{(record.TorchThreads == 1 ? "" : "s")}), for the best teacher (fold {record.Teacher.Fold}) and the fold-{record.Student.Fold} student."),
                "Forecast charts are in patients/day (the scaled values mapped back to the target's range). Each window is held out (a test window) in exactly one fold: that fold's lines are drawn thick; the other folds trained on that window.",
            ],
            Results = new TableView(
                string.Create(Inv, $"Final losses (after the last of {settings.Epochs + 1} passes), mean ± SEM over {results.Folds.Count} folds; parameters are the true counts of each network."),
                ReportTable.Header,
                ReportTable.Rows(results, record.Teacher, record.Student)
                    .Select(r => (IReadOnlyList<string>)[r.Model, r.TrainedAgainst, r.Parameters, r.Train, r.TrainDiff, r.Test, r.TestDiff, r.Inference]).ToList(),
                LabelColumns: 2),
            SpeedLine = string.Create(Inv,
                $"Student vs teacher inference: {record.Speedup:F1}× faster " +
                $"({ReportFormat.Microseconds(record.Student.MedianMicroseconds)} vs {ReportFormat.Microseconds(record.Teacher.MedianMicroseconds)} per window; " +
                $"p10–p90 student {ReportFormat.Microseconds(record.Student.P10Microseconds)}–{ReportFormat.Microseconds(record.Student.P90Microseconds)}, " +
                $"teacher {ReportFormat.Microseconds(record.Teacher.P10Microseconds)}–{ReportFormat.Microseconds(record.Teacher.P90Microseconds)}; " +
                $"{record.TimedCalls} timed calls after {record.WarmupCalls} warm-up calls on window {record.TimedWindow})."),
            TruthFirst = results.EvaluationProtocol == EvaluationProtocol.LeakageFree,
            Truth = results.Truth.Count == 0 ? null : new TableView(TruthCaption(results), TruthHeader, TruthRows(results).ToList(), LabelColumns: 1),
            Verdict = ReportVerdict.Verdict(results),
            Probabilistic = ReportVerdict.Probabilistic(results),
            ProbabilisticNote = ReportVerdict.ProbabilisticNote(results),
            LossCharts = lossCharts.Select(Chart).ToList(),
            WindowCharts = windowCharts.Select(Chart).ToList(),
            Data =
            [
                new("Source", d.Source),
                new("Target", d.Target),
                new("Rows (days, after cleaning)", ReportFormat.Count(d.Rows)),
                new("Features", string.Create(Inv, $"{d.Features.Count} (listed below)")),
                .. d.FeaturesLeftOut is { Count: > 0 } leftOut
                    ? [new NameValue("Features left out", $"{string.Join(", ", leftOut)}: named by the feature selection, but not in the data (or dropped by the cleaning)")]
                    : Array.Empty<NameValue>(),
                new("Date range", $"{d.FirstDate} to {d.LastDate}"),
                new("Windows", string.Create(Inv, $"{ReportFormat.Count(d.Windows)} ({settings.InputDays} input days → {settings.OutputDays} forecast days)")),
                new("Folds", string.Create(Inv, $"{results.Folds.Count} (best teacher: fold {results.BestTeacherFold})")),
            ],
            FeatureCount = d.Features.Count.ToString(Inv),
            Features = string.Join(", ", d.Features),
            Settings = SettingRows(settings).ToList(),
            JobTimings = results.Timings.Select(t => new NameValue(t.Key, ReportFormat.Seconds(t.Value))).ToList(),
            Generated = record.GeneratedUtc.ToString("yyyy-MM-dd HH:mm:ss", Inv),
        };
    }

    /// <summary>
    /// The view of a part's finished report, from what its report step stored: results, report record, dataset
    /// description and charts. The combined report shows each part from it.
    /// </summary>
    public static async Task<ReportView> LoadAsync(IArtifactStore store, RunLayout layout, CancellationToken ct)
    {
        async Task<T> Read<T>(string path) where T : class =>
            await store.ReadJsonAsync<T>(path, ct) ?? throw new InvalidOperationException($"{path} is missing");
        var results = await Read<RunResults>(layout.Results);
        var record = await Read<ReportRecord>(RunReport.RecordPath(layout));
        var meta = await Read<DatasetArtifact>(layout.DatasetJson);
        async Task<List<ReportChart>> Charts(IEnumerable<ChartText> texts)
        {
            var charts = new List<ReportChart>();
            foreach (var t in texts)
            {
                var path = RunReport.ChartPath(layout, t.Name);
                charts.Add(t.With(await store.ReadAsync(path, ct) ?? throw new InvalidOperationException($"{path} is missing")));
            }
            return charts;
        }
        var (losses, windows) = ReportChartTexts.All(results, meta, record.PlotWindows);
        return Build(results, record, await Charts(losses), await Charts(windows));
    }

    private static ChartView Chart(ReportChart c) =>
        new(c.Name, c.Title, c.Caption, c.FileName, "data:image/png;base64," + Convert.ToBase64String(c.Png));

    private static IEnumerable<NameValue> SettingRows(ExperimentSettings settings)
    {
        var json = JsonSerializer.SerializeToElement(settings, ArtifactStoreJson.Options);
        foreach (var p in json.EnumerateObject())
        {
            var value = p.Value.ValueKind switch
            {
                JsonValueKind.Null when p.Name == "data" => "(embedded default: US_FL)",
                JsonValueKind.Null => "(none)",
                JsonValueKind.String => p.Value.GetString()!,
                JsonValueKind.Number => p.Value.GetDouble().ToString("0.###############", Inv),
                _ => p.Value.GetRawText(),
            };
            yield return new(p.Name, value);
        }
    }

    private static string TruthCaption(RunResults results) =>
        "Every model and baseline against the true target on each fold's test windows, mean ± SEM over folds. MAE and RMSE are in patients/day; " +
        "MASE is the MAE divided by persistence's MAE on the same windows (below 1 beats persistence); MSE is on the [0, 1]-scaled target, per window. " +
        "Persistence repeats the last observed value; input mean repeats the mean of the input days." +
        (results.SmallestStudentWithinTolerance is { } n ? string.Create(Inv, $" Smallest student within {results.Settings.SweepTolerance:P0} of the teacher's MAE: {n}.") : "");

    private static IEnumerable<IReadOnlyList<string>> TruthRows(RunResults results)
    {
        static IReadOnlyList<string> Row(string name, TruthSummary t) =>
        [
            name, ReportFormat.MeanSem(t.Mae.Mean, t.Mae.Sem), ReportFormat.MeanSem(t.Rmse.Mean, t.Rmse.Sem),
            ReportFormat.MeanSem(t.Mase.Mean, t.Mase.Sem), ReportFormat.MeanSem(t.Mse.Mean, t.Mse.Sem),
            ReportFormat.Number(t.MaeByHorizon[0]), ReportFormat.Number(t.MaeByHorizon[^1]),
        ];
        foreach (var (model, t) in results.Truth) yield return Row(ReportModels.DisplayName(model), t);
        foreach (var p in results.Sweep.Where(p => !p.IsMainStudent))
            yield return Row(string.Create(Inv, $"Student h{p.Hidden} ({ReportFormat.Count(p.Parameters)} params)"), p.Truth);
    }
}
