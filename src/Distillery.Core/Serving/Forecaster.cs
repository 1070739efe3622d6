using System.Globalization;
using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Retraining;
using Distillery.Storage;
using TorchSharp;
using static TorchSharp.torch;

[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Distillery.Core.Tests")]

namespace Distillery.Serving;

/// <summary>
/// One finished run's student (champion fold) or teacher (best fold), loaded once for serving forecasts from raw rows.
/// <see cref="Predict"/> is safe to call from many threads at once (calls are serialised); dispose to free the module.
/// </summary>
public sealed class Forecaster : IDisposable
{
    public const string DateColumn = StudyCleaning.DateColumn;
    private const int ListedNames = 10;

    private readonly nn.Module<Tensor, Tensor> model;
    private readonly DatasetArtifact meta;
    private readonly MinMaxScaler scaler;
    private readonly WindowNormalization normalization;
    private readonly Scoring.ConformalCalibration? calibration;
    private readonly object gate = new();
    private bool disposed;

    private Forecaster(string runId, ModelKind kind, int fold, DatasetArtifact meta, WindowNormalization normalization, nn.Module<Tensor, Tensor> model,
        Skill? skill, Scoring.ConformalCalibration? calibration)
    {
        this.calibration = calibration;
        Skill = skill;
        this.normalization = normalization;
        RunId = runId;
        Kind = kind;
        Fold = fold;
        this.meta = meta;
        this.model = model;
        scaler = new MinMaxScaler(meta.Min, meta.Max);
    }

    /// <summary>The native module (tests check that it is freed).</summary>
    internal nn.Module<Tensor, Tensor> Module => model;

    public bool IsDisposed { get { lock (gate) return disposed; } }

    public string RunId { get; }
    public ModelKind Kind { get; }
    public int Fold { get; }
    /// <summary>Feature columns the input rows must have, in model order.</summary>
    public IReadOnlyList<string> Features => meta.Features;
    public int InputDays => meta.InputDays;
    public int OutputDays => meta.OutputDays;
    public string Target => meta.Target;
    /// <summary>The model's measured skill against persistence on its run's held-out folds (null: not in its results).</summary>
    public Skill? Skill { get; }

    /// <summary>The models a run serves: its champion fold's distilled student, and its best teacher.</summary>
    public static IReadOnlyList<ModelKind> ServedKinds { get; } = [ModelKind.Student, ModelKind.Teacher];

    private static readonly string ServedNames = string.Join(" or ", ServedKinds.Select(k => k.Name()));

    /// <summary>A served kind by name (case-insensitive); anything else is bad input.</summary>
    public static ModelKind ParseKind(string? name) => ModelKinds.Parse(name?.Trim()) is { } kind && ServedKinds.Contains(kind)
        ? kind
        : throw new InvalidInputException($"model must be {ServedNames}, got '{name}'");

    /// <summary>The fold whose distilled student has the lowest final test loss against the truth; ties → lower fold.</summary>
    public static int ChampionFold(RunResults results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var candidates = results.Folds
            .Where(f => f[ModelKind.Student].TestVsTruth is { Length: > 0 })
            .Select(f => (f.Fold, Loss: f[ModelKind.Student].Final(f[ModelKind.Student].TestVsTruth!)))
            .OrderBy(f => double.IsNaN(f.Loss) ? double.PositiveInfinity : f.Loss)
            .ThenBy(f => f.Fold)
            .ToList();
        return candidates.Count > 0
            ? candidates[0].Fold
            : throw new InvalidOperationException($"run {results.RunId} has no distilled student with a test loss against the truth");
    }

    /// <summary>Loads results.json, dataset.json (not the matrix) and the chosen fold's weights of a finished run.</summary>
    public static async Task<Forecaster> LoadAsync(IArtifactStore store, string runId, ModelKind kind, CancellationToken ct)
    {
        if (!ServedKinds.Contains(kind)) throw new InvalidInputException($"model must be {ServedNames}");
        var (layout, results, fold, meta) = await LoadMetaAsync(store, runId, kind, ct);
        var weights = await store.ReadIntactAsync(layout.Model(kind, fold), ct)
                      ?? throw new InvalidOperationException($"run '{runId}' has no {layout.Model(kind, fold)}");
        // The calibration its held-out scores came from (absent when the run had no validation block: no quantiles).
        var outcome = await store.ReadIntactJsonAsync<TrainingOutcome>(layout.Outcome(kind, fold), ct);
        return Create(layout.RunId, kind, fold, meta, results, weights, outcome?.Calibration);
    }

    /// <summary>A finished run's results and the dataset.json its <paramref name="kind"/> was trained with (its served fold's).</summary>
    public static async Task<(RunLayout Layout, RunResults Results, int Fold, DatasetArtifact Meta)> LoadMetaAsync(
        IArtifactStore store, string runId, ModelKind kind, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        var layout = new RunLayout(RunIds.Validate(runId));
        var results = await store.ReadJsonAsync<RunResults>(layout.Results, ct)
                      ?? throw new RunNotFoundException($"run '{runId}' not found or not finished (no results.json)");
        var fold = kind == ModelKind.Student || results.BestTeacherFold == 0 ? ChampionFold(results) : results.BestTeacherFold;
        // Leakage-free models were trained on their fold's own features and scaler.
        var datasetPath = layout.DatasetJsonOf(results.EvaluationProtocol, fold);
        var meta = await store.ReadIntactJsonAsync<DatasetArtifact>(datasetPath, ct)
                   ?? throw new InvalidOperationException($"run '{runId}' has results but no {datasetPath}");
        return (layout, results, fold, meta);
    }

    private static Forecaster Create(string runId, ModelKind kind, int fold, DatasetArtifact meta, RunResults results, byte[] weights,
        Scoring.ConformalCalibration? calibration)
    {
        var module = ModelFactory.Create(kind, results.Settings.ShapeFor(meta));
        try
        {
            ModelSerializer.Load(module, weights);
            module.eval();
            return new Forecaster(runId, kind, fold, meta, results.Settings.WindowNormalization, module, Skill.Of(results, kind), calibration);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Forecasts the <see cref="OutputDays"/> days after the last input date from raw rows (column name → cell, with
    /// <c>date</c> as yyyy-MM-dd). Uses the last <see cref="InputDays"/> rows in date order; extra columns are ignored;
    /// empty cells are 0; values are scaled with the run's stored min/max exactly as the cleaning did.
    /// Bad input throws <see cref="InvalidInputException"/> naming the problem.
    /// </summary>
    public Forecast Predict(IReadOnlyList<IReadOnlyDictionary<string, string>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(disposed, this);
        var (input, _, lastDate) = Input(meta, scaler, rows);
        double[] scaled;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // The input rows are a matrix of one window (window 0).
            var x = WindowTensors.InputsOf(meta, input, [0], normalization);
            scaled = normalization.Forecasts(model.call(x), meta, input, [0])[0];
        }
        var point = scaled.Select(meta.UnscaleTarget).ToArray();
        var quantiles = calibration?.Forecast(point);
        var days = point.Select((value, d) => new ForecastDay(Day(lastDate.AddDays(d + 1)), value).With(quantiles?[d])).ToArray();
        return new Forecast(Kind.Name(), RunId, Fold, days, Skill);
    }

    /// <summary>
    /// The persistence forecast from the same rows a model of <paramref name="meta"/> would take (validated the same
    /// way, with the same messages): the last input day's target, raw, for each of the <c>OutputDays</c> days after it;
    /// with <paramref name="hub"/> (the Forecast Hub baseline, whose median is that value) also its 23 quantiles.
    /// </summary>
    public static IReadOnlyList<ForecastDay> Persistence(DatasetArtifact meta, IReadOnlyList<IReadOnlyDictionary<string, string>> rows,
        Scoring.HubBaseline? hub = null)
    {
        ArgumentNullException.ThrowIfNull(meta);
        ArgumentNullException.ThrowIfNull(rows);
        var (_, lastTarget, lastDate) = Input(meta, new MinMaxScaler(meta.Min, meta.Max), rows);
        var quantiles = hub?.Forecast(lastTarget);
        return Enumerable.Range(1, meta.OutputDays)
            .Select(d => new ForecastDay(Day(lastDate.AddDays(d)), lastTarget).With(quantiles?[d - 1]))
            .ToList();
    }

    /// <summary>The Forecast Hub baseline fitted on every row of run <paramref name="runId"/>'s dataset: the quantiles of
    /// persistence when it is what a location serves.</summary>
    public static async Task<Scoring.HubBaseline> PersistenceBaselineAsync(IArtifactStore store, string runId, CancellationToken ct)
    {
        var (meta, matrix) = await new RunArtifacts(store, new RunLayout(RunIds.Validate(runId))).DatasetAsync(ct);
        return ProbabilisticEvaluation.HubOfAllRows(meta, matrix);
    }

    /// <summary>The scaled input rows [InputDays × features] (row-major), the last day's raw target and the last input date.</summary>
    private static (double[] Input, double LastTarget, DateOnly LastDate) Input(DatasetArtifact meta, MinMaxScaler scaler,
        IReadOnlyList<IReadOnlyDictionary<string, string>> rows)
    {
        if (rows.Count < meta.InputDays)
            throw new InvalidInputException($"needs the last {meta.InputDays} days of input, got {rows.Count} rows");

        var dates = new DateOnly[rows.Count];
        var bad = new List<string>();
        var firstRow = new Dictionary<DateOnly, int>(rows.Count);
        var duplicates = new List<string>();
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i] is null || !rows[i].TryGetValue(DateColumn, out var text) || string.IsNullOrEmpty(text))
                bad.Add($"row {i + 1} has no '{DateColumn}'");
            else if (!DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out dates[i]))
                bad.Add($"'{Shorten(text)}' (row {i + 1})");
            else if (!firstRow.TryAdd(dates[i], i))
                duplicates.Add($"{text} (rows {firstRow[dates[i]] + 1} and {i + 1})");
        }
        if (bad.Count > 0)
            throw new InvalidInputException($"invalid date{(bad.Count > 1 ? "s" : "")} (expected yyyy-MM-dd): {List(bad)}");
        if (duplicates.Count > 0)
            throw new InvalidInputException($"duplicate date{(duplicates.Count > 1 ? "s" : "")}: {List(duplicates)}");

        var used = Enumerable.Range(0, rows.Count).OrderBy(i => dates[i]).TakeLast(meta.InputDays).ToArray();

        var missing = meta.Features.Where(f => used.Any(i => !rows[i].ContainsKey(f))).ToList();
        if (missing.Count > 0)
            throw new InvalidInputException($"missing {missing.Count} feature column{(missing.Count > 1 ? "s" : "")}: {List(missing)}");

        var features = meta.Features.Count;
        var input = new double[meta.InputDays * features];
        var lastTarget = 0.0;
        for (var d = 0; d < used.Length; d++)
        {
            var row = rows[used[d]];
            for (var j = 0; j < features; j++)
            {
                var cell = row[meta.Features[j]] ?? "";
                if (!NumericCell.TryParse(cell, out var raw))
                    throw new InvalidInputException($"column '{meta.Features[j]}' on {Day(dates[used[d]])}: value '{Shorten(cell)}' is not a number");
                if (!double.IsFinite(raw))
                    throw new InvalidInputException($"column '{meta.Features[j]}' on {Day(dates[used[d]])}: value '{Shorten(cell)}' is not a finite number");
                input[d * features + j] = scaler.Transform(j, j == meta.TargetIndex ? meta.Transform.ForwardChecked(raw, meta.Features[j], Day(dates[used[d]])) : raw);
                if (j == meta.TargetIndex) lastTarget = raw;
            }
        }
        return (input, lastTarget, dates[used[^1]]);
    }

    /// <summary>Rows of a CSV (header with a <c>date</c> column) as column name → cell.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> RowsFromCsv(Stream csv, long maxBytes, string sourceName = "input")
    {
        var table = RawTableReader.Read(csv, sourceName, maxBytes);
        var rows = new List<IReadOnlyDictionary<string, string>>(table.Rows.Count);
        foreach (var cells in table.Rows)
        {
            var row = new Dictionary<string, string>(table.Columns.Count, StringComparer.Ordinal);
            for (var c = 0; c < cells.Length; c++) row[table.Columns[c]] = cells[c];
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>A JSON array of objects (one per day) as column name → cell: numbers keep their JSON text, strings
    /// their value, null becomes empty (→ 0).</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> RowsFromJson(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidInputException($"input must be a JSON array of objects (one per day), got {Describe(array.ValueKind)}");
        var rows = new List<IReadOnlyDictionary<string, string>>(array.GetArrayLength());
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
                throw new InvalidInputException($"input[{i}] must be an object (column → value), got {Describe(item.ValueKind)}");
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in item.EnumerateObject())
            {
                var value = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.Null => "",
                    var other => throw new InvalidInputException(
                        $"input[{i}].{Shorten(p.Name)} must be a number, a string or null, got {Describe(other)}"),
                };
                if (!row.TryAdd(p.Name, value))
                    throw new InvalidInputException($"input[{i}] has the property '{Shorten(p.Name)}' twice");
            }
            rows.Add(row);
            i++;
        }
        return rows;
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";

    private static string List(IReadOnlyList<string> items) =>
        items.Count <= ListedNames
            ? string.Join(", ", items)
            : string.Join(", ", items.Take(ListedNames)) + $", ... ({items.Count} in all)";

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            model.Dispose();
        }
    }
}
