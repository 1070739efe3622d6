using System.Diagnostics;
using Distillery.Data;
using Distillery.Models;
using Distillery.Storage;

namespace Distillery.Experiments.Steps;

/// <summary>
/// Loads and cleans the data source, cuts it into windows and folds, and stores the scaled dataset (and, under the
/// leakage-free protocol, each fold's own). Idempotent: a verified stored dataset is returned as it is.
/// </summary>
public sealed class PrepareDatasetStep(IArtifactStore store, DataSourceOptions dataOptions)
{
    public async Task<PreparedDataset> RunAsync(PrepareRequest request, CancellationToken ct = default)
    {
        var settings = request.Settings.Validated();
        var artifacts = new RunArtifacts(store, new RunLayout(RunIds.Validate(request.RunId), request.Part));
        var protocol = settings.EvaluationProtocol;
        var clock = Stopwatch.StartNew();
        var dataset = await artifacts.VerifiedDatasetAsync(protocol, ct);
        if (dataset is null)
        {
            var table = await LoadTableAsync(settings, ct);
            var (data, leftOut) = Clean(table, settings);
            var windows = Windowing.Count(data.Rows, settings.InputDays, settings.OutputDays);
            var folds = protocol.Splitting switch
            {
                FoldSplitting.ShuffledKFold => StudyFolds(windows, settings),
                FoldSplitting.Blocked => BlockedFolds.Split(windows, settings.Folds, settings.InputDays, settings.OutputDays),
            };
            var matrix = DatasetArtifact.EncodeMatrix(data.Scaled);
            await artifacts.CheckSameSourceAsync(matrix, ct);
            if (protocol.PreprocessingPerFold)
                foreach (var fold in folds) await PrepareFoldAsync(artifacts, table, data, fold, settings, ct);
            dataset = DatasetArtifact.From(data, settings.InputDays, settings.OutputDays, folds) with { FeaturesLeftOut = LeftOut(leftOut) };
            await artifacts.WriteDatasetAsync(dataset, matrix, ct);
        }
        var shape = settings.ShapeFor(dataset);
        return new PreparedDataset(artifacts.Layout.RunId, artifacts.Layout.DatasetJson, dataset.Source, dataset.Rows, dataset.Windows,
            dataset.Features.Count, dataset.Folds.Count, ModelFactory.ParameterCount(ModelKind.Teacher, shape),
            ModelFactory.ParameterCount(ModelKind.Student, shape), clock.Elapsed.TotalSeconds, request.Part);
    }

    private static FoldSplit[] StudyFolds(int windows, ExperimentSettings settings)
    {
        if (settings.Folds > windows)
            throw new InvalidInputException($"folds must be between 2 and the number of windows ({windows}), got {settings.Folds}");
        var tests = KFold.TestFolds(windows, settings.Folds, settings.SplitSeed);
        return tests.Select((test, i) => new FoldSplit(i + 1, KFold.TrainIndices(windows, test), test)).ToArray();
    }

    /// <summary>
    /// Per-fold preprocessing (leakage-free): the cleaning rule (which columns survive), the feature selection and the
    /// scaler are fit on the fold's training rows only — every row except those its test windows cover, and, with early
    /// stopping, those its validation windows cover (so a validation block is as unseen as the test block: what is
    /// chosen on it, the best pass and any tuned setting, is chosen as it would be on test) — then applied to all rows.
    /// </summary>
    private static async Task PrepareFoldAsync(RunArtifacts artifacts, RawTable table, CleanDataset all, FoldSplit fold,
        ExperimentSettings settings, CancellationToken ct)
    {
        var sorted = SortedByDate(table, all);
        var held = new List<(int First, int Last)> { BlockedFolds.TestRows(fold, settings.InputDays, settings.OutputDays) };
        if (settings.EarlyStoppingFraction is { } fraction)
        {
            var (_, validation) = ValidationSplit.Split(fold, fraction, settings.InputDays, settings.OutputDays);
            held.Add((validation[0], validation[^1] + settings.InputDays + settings.OutputDays - 1));
        }
        var trainRows = sorted.Rows.Where((_, i) => !held.Any(h => i >= h.First && i <= h.Last)).ToArray();
        CleanDataset fit;
        IReadOnlyList<string> leftOut;
        try
        {
            (fit, leftOut) = Clean(sorted with { Rows = trainRows, LineNumbers = null }, settings);
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"fold {fold.Fold} (training rows only): {e.Message}");
        }
        var scaled = fit.ApplyScaling(sorted);
        var meta = DatasetArtifact.From(all, settings.InputDays, settings.OutputDays, [fold]) with
        {
            Features = fit.Features,
            Min = fit.Min,
            Max = fit.Max,
            TargetIndex = fit.TargetIndex,
            FeaturesLeftOut = LeftOut(leftOut),
        };
        await artifacts.WriteFoldDatasetAsync(fold.Fold, meta, DatasetArtifact.EncodeMatrix(scaled), ct);
    }

    /// <summary>The raw rows in the cleaned dataset's date order.</summary>
    private static RawTable SortedByDate(RawTable table, CleanDataset clean)
    {
        var dateColumn = table.ColumnIndex(StudyCleaning.DateColumn);
        var byDate = table.Rows.ToDictionary(r => r[dateColumn]);
        return table with { Rows = clean.Dates.Select(d => byDate[d.ToString("yyyy-MM-dd")]).ToArray(), LineNumbers = null };
    }

    /// <summary>Loads and cleans the run's data source and keeps its selected features (also used by <c>distillery prepare</c>).</summary>
    public async Task<CleanDataset> LoadCleanAsync(ExperimentSettings settings, CancellationToken ct = default) =>
        Clean(await LoadTableAsync(settings, ct), settings).Data;

    /// <summary>The study's cleaning, then the run's feature selection, both fit on <paramref name="table"/>'s rows.</summary>
    private static (CleanDataset Data, IReadOnlyList<string> LeftOut) Clean(RawTable table, ExperimentSettings settings) =>
        settings.FeatureSelection.Apply(StudyCleaning.Clean(table, settings.Target, settings.TargetTransformKind));

    private static IReadOnlyList<string>? LeftOut(IReadOnlyList<string> columns) => columns.Count == 0 ? null : columns;

    private Task<RawTable> LoadTableAsync(ExperimentSettings settings, CancellationToken ct) => settings.Sources is [var source]
        ? DataSource.LoadAsync(source, dataOptions, store, ct)
        : throw new InvalidInputException("this step works on one data source at a time");
}
