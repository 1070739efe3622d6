using System.Text;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Reports;

/// <summary>
/// Renders a finished run: PNG charts (runs/{runId}/charts/), report.html (self-contained), report.md and report.json
/// (inference timings). Reads results.json, the dataset artifact and the stored models; re-running overwrites.
/// </summary>
public static class RunReport
{
    public static Task<ReportOutput> WriteAsync(IArtifactStore store, string runId, ReportOptions options, CancellationToken ct = default) =>
        WriteAsync(store, new RunLayout(RunIds.Validate(runId)), options, ct);

    /// <summary>The report of one experiment of a run (its part of the layout).</summary>
    public static async Task<ReportOutput> WriteAsync(IArtifactStore store, RunLayout layout, ReportOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var results = await store.ReadJsonAsync<RunResults>(layout.Results, ct)
                      ?? throw new InvalidOperationException($"{layout.Results} is missing: summarize the run first");
        var artifacts = new RunArtifacts(store, layout);
        var (meta, matrix) = await artifacts.DatasetAsync(ct);
        var windows = ChooseWindows(options.PlotWindows, meta.Windows);
        var folds = results.Folds.Select(f => f.Fold).ToArray();
        if (folds.Length == 0) throw new InvalidOperationException($"{layout.Results} has no folds");
        // Under the leakage-free protocol each fold has its own features and scaler.
        var foldData = new Dictionary<int, (DatasetArtifact Meta, double[] Matrix)>();
        foreach (var fold in folds) foldData[fold] = await artifacts.FoldDatasetAsync(results.EvaluationProtocol, fold, ct);

        var weights = new Dictionary<(ModelKind, int), byte[]>();
        var calibrations = new Dictionary<(ModelKind, int), Scoring.ConformalCalibration>();
        foreach (var fold in folds)
            foreach (var kind in ModelKinds.All)
            {
                weights[(kind, fold)] = await artifacts.ModelAsync(kind, fold, "", ct);
                if ((await artifacts.OutcomeAsync(kind, fold, "", ct)).Calibration is { } calibration) calibrations[(kind, fold)] = calibration;
            }
        var studentFold = folds.Contains(1) ? 1 : folds[0];
        var teacherFold = results.BestTeacherFold > 0 ? results.BestTeacherFold : studentFold;
        var timedWindow = windows.Count > 0 ? windows[0] : 0;
        ModelShape ShapeOf(int fold) => results.Settings.ShapeFor(foldData[fold].Meta);
        var normalization = results.Settings.WindowNormalization;

        // TorchSharp work, synchronous (each call owns its dispose scope). Predictions in patients/day.
        var predictions = new Dictionary<(ModelKind, int), double[][]>();
        foreach (var ((kind, fold), bytes) in weights)
        {
            var (foldMeta, foldMatrix) = foldData[fold];
            predictions[(kind, fold)] = ReportInference.Predict(kind, ShapeOf(fold), bytes, normalization, foldMeta, foldMatrix, windows)
                .Select(day => day.Select(foldMeta.UnscaleTarget).ToArray()).ToArray();
        }
        var teacherTiming = ReportInference.Time(ModelKind.Teacher, teacherFold, ShapeOf(teacherFold),
            weights[(ModelKind.Teacher, teacherFold)], normalization, foldData[teacherFold].Meta, foldData[teacherFold].Matrix, timedWindow, options.WarmupCalls, options.TimedCalls);
        var studentTiming = ReportInference.Time(ModelKind.Student, studentFold, ShapeOf(studentFold),
            weights[(ModelKind.Student, studentFold)], normalization, foldData[studentFold].Meta, foldData[studentFold].Matrix, timedWindow, options.WarmupCalls, options.TimedCalls);
        var threads = TorchSharp.torch.get_num_threads();
        var sweepCharts = await SweepChartsAsync(artifacts, results, foldData[studentFold], studentFold, teacherTiming, timedWindow, options, ct);

        // Each chart is its own plot: the loss charts render on another core while the window charts render here.
        var lossChartsRendered = Task.Run(() => LossCharts(results, options), ct);
        var windowCharts = windows.Select((w, i) => WindowChart(results, meta, matrix, w, i, predictions, calibrations, options)).ToList();
        var lossCharts = (await lossChartsRendered).Concat(sweepCharts).ToList();
        var charts = lossCharts.Concat(windowCharts).ToList();

        var chartPaths = new List<string>();
        foreach (var c in charts)
        {
            var path = ChartPath(layout, c.Name);
            await store.WriteAsync(path, c.Png, ct);
            chartPaths.Add(path);
        }
        // Charts of an earlier rendering with other windows would otherwise linger beside the new ones.
        foreach (var stale in await store.ListAsync($"{layout.Root}/charts/", ct))
            if (stale.EndsWith(".png", StringComparison.Ordinal) && !chartPaths.Contains(stale))
                await store.DeleteAsync(stale, ct);

        var htmlPath = layout.Report;
        var mdPath = $"{layout.Root}/report.md";
        var speedup = teacherTiming.MedianMicroseconds / studentTiming.MedianMicroseconds;
        var record = new ReportRecord(layout.RunId, DateTime.UtcNow, threads, options.WarmupCalls, options.TimedCalls, timedWindow,
            teacherTiming, studentTiming, speedup, windows, chartPaths, htmlPath, mdPath);
        var view = ReportView.Build(results, record, lossCharts, windowCharts);

        await store.WriteAsync(htmlPath, Encoding.UTF8.GetBytes(ReportTemplates.Html(view)), ct);
        await store.WriteAsync(mdPath, Encoding.UTF8.GetBytes(ReportTemplates.Markdown(view)), ct);
        await store.WriteJsonAsync(RecordPath(layout), record, ct);
        return new ReportOutput(htmlPath, mdPath, chartPaths);
    }

    /// <summary>report.json of a run (or part): the <see cref="ReportRecord"/>.</summary>
    public static string RecordPath(RunLayout layout) => $"{layout.Root}/report.json";

    public static string ChartPath(RunLayout layout, string chart) => $"{layout.Root}/charts/{chart}.png";

    /// <summary>
    /// The windows to draw: the requested ones (each must exist), else the study's windows that exist, else five
    /// spread evenly over all windows.
    /// </summary>
    public static IReadOnlyList<int> ChooseWindows(IReadOnlyList<int>? requested, int windows)
    {
        if (windows < 1) throw new InvalidOperationException("the dataset has no windows");
        if (requested is { Count: > 0 })
        {
            var bad = requested.Where(w => w < 0 || w >= windows).ToList();
            if (bad.Count > 0)
                throw new InvalidInputException($"plot windows {string.Join(", ", bad)} do not exist: the run has windows 0 to {windows - 1}");
            return requested.Distinct().ToArray();
        }
        var study = ReportOptions.StudyWindows.Where(w => w < windows).ToArray();
        if (study.Length > 0) return study;
        var count = Math.Min(5, windows);
        return Enumerable.Range(0, count)
            .Select(i => count == 1 ? 0 : (int)Math.Round(i * (windows - 1) / (double)(count - 1)))
            .Distinct().ToArray();
    }

    private static List<ReportChart> LossCharts(RunResults results, ReportOptions o)
    {
        var n = results.Folds.Count;
        static double[] Passes(double[] curve) => Enumerable.Range(1, curve.Length).Select(p => (double)p).ToArray();
        ChartSeries Teacher(FoldResult f, int i, double[] y) => new($"Teacher fold {f.Fold}", Passes(y), y, ReportCharts.Categorical(i));
        IEnumerable<ChartSeries> Pair(Func<Curves, double[]> pick, string studentNote, string fnnNote) =>
            results.Folds.Select((f, i) => new ChartSeries($"Student fold {f.Fold}{studentNote}", Passes(pick(f[ModelKind.Student])), pick(f[ModelKind.Student]), ReportCharts.Shade(ReportCharts.Reds, i, n)))
                .Concat(results.Folds.Select((f, i) => new ChartSeries($"FNN fold {f.Fold}{fnnNote}", Passes(pick(f[ModelKind.Fnn])), pick(f[ModelKind.Fnn]), ReportCharts.Shade(ReportCharts.Blues, i, n), Dashed: true)));
        const string loss = "Loss (sum of window MSEs, scaled target)";
        ReportChart Draw(ChartText t, IEnumerable<ChartSeries> series) =>
            t.With(ReportCharts.Losses(t.Title, loss, series.ToList(), o.ChartWidth, o.ChartHeight, o.FontPath));
        var texts = ReportChartTexts.Losses(results);
        return
        [
            Draw(texts.TeacherTrain, results.Folds.Select((f, i) => Teacher(f, i, f[ModelKind.Teacher].Train))),
            Draw(texts.TeacherTest, results.Folds.Select((f, i) => Teacher(f, i, f[ModelKind.Teacher].Test))),
            Draw(texts.StudentFnnTrain, Pair(c => c.Train, " (vs teacher)", " (vs truth)")),
            Draw(texts.StudentFnnTest, Pair(c => c.Test, " (vs teacher)", " (vs truth)")),
        ];
    }

    /// <summary>Accuracy against the truth of every swept student size, against its parameters and its latency.</summary>
    private static async Task<List<ReportChart>> SweepChartsAsync(RunArtifacts artifacts, RunResults results,
        (DatasetArtifact Meta, double[] Matrix) data, int fold, InferenceTiming teacher, int window, ReportOptions o, CancellationToken ct)
    {
        if (ReportChartTexts.Sweep(results) is not { } texts) return [];
        var latency = new List<double>();
        foreach (var point in results.Sweep)
        {
            var variant = point.IsMainStudent ? "" : $"h{point.Hidden}";
            var weights = await artifacts.ModelAsync(ModelKind.Student, fold, variant, ct);
            var shape = results.Settings.ShapeFor(data.Meta, point.Hidden);
            latency.Add(ReportInference.Time(ModelKind.Student, fold, shape, weights, results.Settings.WindowNormalization, data.Meta, data.Matrix, window, o.WarmupCalls, o.TimedCalls).MedianMicroseconds);
        }
        var mae = results.Sweep.Select(p => p.Truth.Mae.Mean).ToArray();
        var teacherMae = results.TruthOf(ModelKind.Teacher).Mae.Mean;
        var teacherParams = (double)results.Params[ModelKind.Teacher];
        ChartSeries Students(double[] x) => new("Students (distilled)", x, mae, ReportCharts.Reds[2]);
        ChartSeries Teacher(double x) => new("Teacher", [x], [teacherMae], ReportCharts.Greens[2]);
        const string y = "Test MAE vs truth (patients/day)";
        return
        [
            texts.Parameters.With(ReportCharts.Points(texts.Parameters.Title, "Parameters (log scale)", y,
                [Students(results.Sweep.Select(p => (double)p.Parameters).ToArray()), Teacher(teacherParams)], true, o.ChartWidth, o.ChartHeight, o.FontPath)),
            texts.Latency.With(ReportCharts.Points(texts.Latency.Title, "Latency per window (µs)", y,
                [Students(latency.ToArray()), Teacher(teacher.MedianMicroseconds)], false, o.ChartWidth, o.ChartHeight, o.FontPath)),
        ];
    }

    private static ReportChart WindowChart(RunResults results, DatasetArtifact meta, double[] matrix, int window, int index,
        Dictionary<(ModelKind, int), double[][]> predictions, Dictionary<(ModelKind, int), Scoring.ConformalCalibration> calibrations,
        ReportOptions o)
    {
        ForecastBand? Band(ModelKind kind, int fold) => calibrations.TryGetValue((kind, fold), out var c)
            ? ForecastBand.Of(c.Forecast(predictions[(kind, fold)][index]))
            : null;
        int f = meta.Features.Count, inDays = meta.InputDays, outDays = meta.OutputDays;
        DateTime Date(int row) => ReportChartTexts.Date(meta, row);
        double Truth(int row) => meta.UnscaleTarget(matrix[row * f + meta.TargetIndex]);
        var prediction = new WindowPrediction(window, meta.Target,
            Enumerable.Range(window, inDays).Select(Date).ToArray(),
            Enumerable.Range(window, inDays).Select(Truth).ToArray(),
            Enumerable.Range(window + inDays, outDays).Select(Date).ToArray(),
            Enumerable.Range(window + inDays, outDays).Select(Truth).ToArray(),
            ReportChartTexts.HeldOutFold(results, window),
            results.Folds.Select(x => new FoldPrediction(x.Fold,
                predictions[(ModelKind.Teacher, x.Fold)][index],
                predictions[(ModelKind.Student, x.Fold)][index],
                predictions[(ModelKind.Fnn, x.Fold)][index],
                Band(ModelKind.Teacher, x.Fold), Band(ModelKind.Student, x.Fold))).ToList());
        return ReportChartTexts.Window(results, meta, window).With(ReportCharts.Window(prediction, o.ChartWidth, o.ChartHeight, o.FontPath));
    }
}
