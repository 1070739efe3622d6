using System.Diagnostics;
using Distillery.Data;
using Distillery.Models;
using Distillery.Reports;
using Distillery.Storage;
using Distillery.Training;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Distillery.Experiments;

/// <summary>Receives every finished pass of every training job (CLI progress bars, logs).</summary>
public interface ITrainingObserver
{
    void OnPass(string runId, ModelKind kind, int fold, PassReport pass);
}

/// <summary>
/// The experiment as separate steps: prepare → train teacher per fold → select teacher → train student (distilled,
/// sweep sizes) and FNN per fold → summarize. Each step reads and writes artifacts by deterministic paths and is
/// idempotent: a step whose outcome is already stored returns it without recomputing.
/// </summary>
public sealed class ExperimentSteps(IArtifactStore store, DataSourceOptions dataOptions, ITrainingObserver? observer = null)
{
    public IArtifactStore Store => store;

    public async Task<PreparedDataset> PrepareAsync(PrepareRequest request, CancellationToken ct = default)
    {
        var settings = request.Settings.Validated();
        var layout = new RunLayout(RunIds.Validate(request.RunId), request.Part);
        var clock = Stopwatch.StartNew();
        var existing = await StoredDatasetAsync(layout, settings, ct);
        if (existing is null)
        {
            var table = await LoadTableAsync(settings, ct);
            var data = StudyCleaning.Clean(table, settings.Target);
            var windows = Windowing.Count(data.Rows, settings.InputDays, settings.OutputDays);
            var folds = settings.Protocol == Protocols.LeakageFree
                ? BlockedFolds.Split(windows, settings.Folds, settings.InputDays, settings.OutputDays)
                : StudyFolds(windows, settings);
            var matrix = DatasetArtifact.EncodeMatrix(data.Scaled);
            await CheckSameSourceAsync(layout.DatasetMatrix, matrix, ct);
            if (settings.Protocol == Protocols.LeakageFree)
                foreach (var fold in folds) await PrepareFoldAsync(layout, table, data, fold, settings, ct);
            existing = DatasetArtifact.From(data, settings.InputDays, settings.OutputDays, folds);
            // Matrix first, description last, each followed by its SHA-256: the description's hash marks a complete artifact.
            await store.WriteHashedAsync(layout.DatasetMatrix, matrix, ct);
            await store.WriteHashedJsonAsync(layout.DatasetJson, existing, ct);
        }
        var shape = Shape(existing, settings);
        return new PreparedDataset(layout.RunId, layout.DatasetJson, existing.Source, existing.Rows, existing.Windows,
            existing.Features.Count, existing.Folds.Count, CountParameters(ModelKind.Teacher, shape),
            CountParameters(ModelKind.Student, shape), clock.Elapsed.TotalSeconds, request.Part);
    }

    /// <summary>The stored dataset when every file of it (and, leakage-free, of every fold) matches its stored hash;
    /// null when any is missing, unhashed or corrupt: then the step prepares it again (deterministically).</summary>
    private async Task<DatasetArtifact?> StoredDatasetAsync(RunLayout layout, ExperimentSettings settings, CancellationToken ct)
    {
        var meta = (await store.ReadCheckedAsync(layout.DatasetJson, ct)).VerifiedJson<DatasetArtifact>();
        if (meta is null || !(await store.ReadCheckedAsync(layout.DatasetMatrix, ct)).IsVerified) return null;
        if (settings.Protocol == Protocols.LeakageFree)
            foreach (var fold in meta.Folds)
                if (!(await store.ReadCheckedAsync(layout.FoldDatasetJson(fold.Fold), ct)).IsVerified
                    || !(await store.ReadCheckedAsync(layout.FoldDatasetMatrix(fold.Fold), ct)).IsVerified)
                    return null;
        return meta;
    }

    /// <summary>Preparing a run's dataset again (after corruption) must give the bytes its models were trained on:
    /// if the source changed meanwhile, the run cannot be repaired.</summary>
    private async Task CheckSameSourceAsync(string matrixPath, byte[] matrix, CancellationToken ct)
    {
        var expected = (await store.ReadWithHashAsync(matrixPath, ct))?.Sha256;
        if (expected is { Length: 64 } && !expected.Equals(ContentHash.Of(matrix), StringComparison.OrdinalIgnoreCase))
            throw new InvalidInputException(
                $"the data source of {matrixPath} changed since the run was prepared (its SHA-256 differs): start a new run");
    }

    private static FoldSplit[] StudyFolds(int windows, ExperimentSettings settings)
    {
        if (settings.Folds > windows)
            throw new InvalidInputException($"folds must be between 2 and the number of windows ({windows}), got {settings.Folds}");
        var tests = KFold.TestFolds(windows, settings.Folds, settings.SplitSeed);
        return tests.Select((test, i) => new FoldSplit(i + 1, KFold.TrainIndices(windows, test), test)).ToArray();
    }

    /// <summary>
    /// Leakage-free: the cleaning rule (which columns survive) and the scaler are fit on the fold's training rows
    /// only — every row except those its test windows cover — and then applied to all rows.
    /// </summary>
    private async Task PrepareFoldAsync(RunLayout layout, RawTable table, CleanDataset all, FoldSplit fold, ExperimentSettings settings,
        CancellationToken ct)
    {
        var sorted = SortedByDate(table, all);
        var (first, last) = BlockedFolds.TestRows(fold, settings.InputDays, settings.OutputDays);
        var trainRows = sorted.Rows.Where((_, i) => i < first || i > last).ToArray();
        CleanDataset fit;
        try
        {
            fit = StudyCleaning.Clean(sorted with { Rows = trainRows, LineNumbers = null }, settings.Target);
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
        };
        await store.WriteHashedAsync(layout.FoldDatasetMatrix(fold.Fold), DatasetArtifact.EncodeMatrix(scaled), ct);
        await store.WriteHashedJsonAsync(layout.FoldDatasetJson(fold.Fold), meta, ct);
    }

    /// <summary>The raw rows in the cleaned dataset's date order.</summary>
    private static RawTable SortedByDate(RawTable table, CleanDataset clean)
    {
        var dateColumn = table.ColumnIndex(StudyCleaning.DateColumn);
        var byDate = table.Rows.ToDictionary(r => r[dateColumn]);
        return table with { Rows = clean.Dates.Select(d => byDate[d.ToString("yyyy-MM-dd")]).ToArray(), LineNumbers = null };
    }

    /// <summary>Loads and cleans the run's data source (also used by <c>distillery prepare</c>).</summary>
    public async Task<CleanDataset> LoadCleanAsync(ExperimentSettings settings, CancellationToken ct = default) =>
        StudyCleaning.Clean(await LoadTableAsync(settings, ct), settings.Target);

    private Task<RawTable> LoadTableAsync(ExperimentSettings settings, CancellationToken ct) => settings.Sources is [var source]
        ? DataSource.LoadAsync(source, dataOptions, store, ct)
        : throw new InvalidInputException("this step works on one data source at a time");

    public Task<TrainedModel> TrainTeacherAsync(TrainRequest request, CancellationToken ct = default) =>
        TrainAsync(request with { Kind = ModelKind.Teacher, TeacherFold = null, StudentHidden = null }, ct);

    public Task<TrainedModel> TrainStudentAsync(TrainRequest request, CancellationToken ct = default)
    {
        if (request.Kind == ModelKind.Teacher) throw new ArgumentException("a student step trains the student or the FNN", nameof(request));
        if (request.Kind == ModelKind.Student && request.TeacherFold is null)
            throw new ArgumentException("the distilled student needs the teacher's fold", nameof(request));
        return TrainAsync(request, ct);
    }

    private async Task<TrainedModel> TrainAsync(TrainRequest request, CancellationToken ct)
    {
        var settings = request.Settings.Validated();
        var layout = new RunLayout(RunIds.Validate(request.RunId), request.Part);
        var outcomePath = layout.Outcome(request.Kind, request.Fold, request.Variant);
        var modelPath = layout.Model(request.Kind, request.Fold, request.Variant);
        var safetensorsPath = layout.Safetensors(request.Kind, request.Fold, request.Variant);
        // A finished step is reused only when its outcome and both weight files match their stored hashes;
        // anything missing or corrupt is trained again (deterministically), never used.
        var stored = (await store.ReadCheckedAsync(outcomePath, ct)).VerifiedJson<TrainingOutcome>();
        if (stored is not null && (await store.ReadCheckedAsync(modelPath, ct)).IsVerified
                               && (await store.ReadCheckedAsync(safetensorsPath, ct)).IsVerified)
            return stored.Model;

        var (meta, matrix) = await DatasetForTrainingAsync(layout, settings, request.Fold, ct);
        var split = meta.Folds.SingleOrDefault(f => f.Fold == request.Fold)
                    ?? throw new InvalidInputException($"fold {request.Fold} does not exist (the run has {meta.Folds.Count} folds)");
        var shape = Shape(meta, settings, request.StudentHidden);
        byte[]? teacherWeights = null;
        if (request.Kind == ModelKind.Student && settings.Alpha < 1)
            teacherWeights = await TeacherWeightsAsync(request, layout, ct);

        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        // Synchronous from here: TorchSharp dispose scopes are per thread.
        var trained = TrainModel(request, settings, shape, meta, matrix, split, teacherWeights, ct);
        var seconds = clock.Elapsed.TotalSeconds;

        await store.WriteHashedAsync(modelPath, trained.Weights, ct);
        await store.WriteHashedAsync(safetensorsPath, trained.Safetensors, ct);
        var curves = trained.Curves;
        var model = new TrainedModel(layout.RunId, request.Kind, request.Fold, modelPath, outcomePath,
            curves.FinalTrain, curves.FinalTest, curves.FinalTestVsTruth, seconds, request.Part, request.StudentHidden, trained.Parameters,
            WorkerIdentity.Current, started, started.AddSeconds(seconds));
        // Last: the outcome's hash marks the step finished.
        await store.WriteHashedJsonAsync(outcomePath, new TrainingOutcome(model, curves.Train, curves.Test, curves.TestVsTruth, trained.Truth), ct);
        return model;
    }

    /// <summary>The fold's dataset, verified against its stored hashes; a corrupt (or unhashed) one is prepared again
    /// first — preparing is deterministic, so the models see the same numbers.</summary>
    private async Task<(DatasetArtifact Meta, double[] Matrix)> DatasetForTrainingAsync(RunLayout layout, ExperimentSettings settings,
        int fold, CancellationToken ct)
    {
        try
        {
            return await DatasetArtifact.ForFoldAsync(store, layout, settings.Protocol, fold, ct, requireHash: true);
        }
        catch (CorruptArtifactException)
        {
            await PrepareAsync(new PrepareRequest(layout.RunId, settings, layout.Part), ct);
            return await DatasetArtifact.ForFoldAsync(store, layout, settings.Protocol, fold, ct, requireHash: true);
        }
    }

    /// <summary>The distilling teacher's weights, verified; a missing or corrupt teacher is trained again first.</summary>
    private async Task<byte[]> TeacherWeightsAsync(TrainRequest request, RunLayout layout, CancellationToken ct)
    {
        var teacherFold = request.TeacherFold!.Value;
        var path = layout.Model(ModelKind.Teacher, teacherFold);
        var read = await store.ReadCheckedAsync(path, ct);
        if (read.IsVerified) return read.Content!;
        await TrainAsync(request with { Kind = ModelKind.Teacher, Fold = teacherFold, TeacherFold = null, StudentHidden = null }, ct);
        read = await store.ReadCheckedAsync(path, ct);
        return read.IsVerified ? read.Content! : throw new CorruptArtifactException($"teacher of fold {teacherFold}: {read.Describe()}");
    }

    private sealed record Trained(LossCurves Curves, byte[] Weights, byte[] Safetensors, TruthMetrics Truth, long Parameters);

    private Trained TrainModel(TrainRequest request, ExperimentSettings settings, ModelShape shape, DatasetArtifact meta,
        double[] matrix, FoldSplit split, byte[]? teacherWeights, CancellationToken ct)
    {
        // Per job and on this thread: with OpenMP the thread count is a per-thread setting, and a fixed count keeps
        // reductions (and so the numbers) identical from run to run.
        set_num_threads(settings.Threads);
        using var scope = NewDisposeScope();
        using var windows = new WindowTensors(meta, matrix);
        var targets = windows.Targets;
        if (teacherWeights is not null)
        {
            // The frozen teacher's outputs, computed once: the same numbers the study recomputed at every step.
            using var teacher = ModelFactory.Create(ModelKind.Teacher, Shape(meta, settings));
            Load(teacher, teacherWeights);
            var teacherOutputs = Trainer.Predict(teacher, windows.Inputs);
            // α·MSE(s, truth) + (1 − α)·MSE(s, teacher) has the gradient of MSE(s, α·truth + (1 − α)·teacher):
            // training on the blended target is the blended loss (up to a constant), and α = 0 is exactly the study's.
            targets = settings.Alpha == 0 ? teacherOutputs : windows.Targets * settings.Alpha + teacherOutputs * (1 - settings.Alpha);
        }
        var model = ModelFactory.Create(request.Kind, shape);
        // The student and the FNN start from the same weights: they differ only in what they are trained towards.
        ModelFactory.Initialize(model, JobSeed(settings.Seed, request.Kind == ModelKind.Teacher ? ModelKind.Teacher : ModelKind.Student,
            request.Fold));
        var fold = new FoldTensors(windows.Inputs, targets, windows.Targets, split.TrainIndices, split.TestIndices);
        var options = new TrainingOptions(settings.Epochs,
            request.Kind == ModelKind.Teacher ? settings.TeacherLr : settings.StudentLr, settings.BatchSize, settings.Seed);
        var curves = Trainer.Train(model, fold, options, alsoTestVsTruth: request.Kind == ModelKind.Student,
            onPass: p => observer?.OnPass(request.RunId, request.Kind, request.Fold, p), ct: ct);
        var truth = EvaluateOnTest(model, windows, meta, matrix, split);
        return new Trained(curves, Save(model), SaveSafetensors(model), truth, ModelFactory.ParameterCount(model));
    }

    /// <summary>Accuracy of the final model against the true targets of the fold's test windows.</summary>
    private static TruthMetrics EvaluateOnTest(nn.Module<Tensor, Tensor> model, WindowTensors windows, DatasetArtifact meta, double[] matrix,
        FoldSplit split)
    {
        using var scope = NewDisposeScope();
        using var index = tensor(split.TestIndices.Select(i => (long)i).ToArray());
        var predicted = Trainer.Predict(model, windows.Inputs.index_select(0, index)).to_type(ScalarType.Float64);
        var flat = predicted.data<double>().ToArray();
        var days = meta.OutputDays;
        var forecast = Enumerable.Range(0, split.TestIndices.Length).Select(w => flat.AsSpan(w * days, days).ToArray()).ToArray();
        var truth = Evaluation.Truth(meta, matrix, split.TestIndices);
        var (min, max) = (meta.Min[meta.TargetIndex], meta.Max[meta.TargetIndex]);
        var persistenceMae = Evaluation.MaeOf(Evaluation.Persistence(meta, matrix, split.TestIndices), truth, min, max);
        return Evaluation.Compute(forecast, truth, min, max, persistenceMae);
    }

    public async Task<RunSummary> SummarizeAsync(SummarizeRequest request, CancellationToken ct = default)
    {
        var layout = new RunLayout(RunIds.Validate(request.RunId), request.Part);
        var results = await RunResults.BuildAsync(store, layout, request, ct);
        await store.WriteJsonAsync(layout.Results, results, ct);
        var report = await RunReport.WriteAsync(store, layout, new ReportOptions { PlotWindows = request.Settings.PlotWindows }, ct);
        return new RunSummary(layout.RunId, layout.Results, report.Html, request.BestTeacherFold, results.Summary, request.Part);
    }

    /// <summary>A run of several experiments: an index results.json and one report comparing them.</summary>
    public async Task<RunSummary> CombineAsync(CombineRequest request, CancellationToken ct = default)
    {
        var layout = new RunLayout(RunIds.Validate(request.RunId));
        var combined = await CombinedResults.BuildAsync(store, request, ct);
        var report = await CombinedReport.WriteAsync(store, combined, ct);
        await store.WriteJsonAsync(layout.Results, combined, ct);
        var first = await store.ReadJsonAsync<RunResults>(combined.Parts[0].ResultsPath, ct);
        return new RunSummary(layout.RunId, layout.Results, report, first?.BestTeacherFold ?? 0,
            first?.Summary ?? new Dictionary<string, ModelSummary>());
    }

    public static ModelShape Shape(DatasetArtifact meta, ExperimentSettings settings, int? studentHidden = null) =>
        new(meta.Features.Count, settings.InputDays, settings.OutputDays,
            StudentHidden: studentHidden ?? settings.StudentHidden[0], StudentLayers: settings.StudentLayers);

    /// <summary>One seed per (run seed, model kind, fold): numbers do not depend on execution order or parallelism.</summary>
    public static long JobSeed(long seed, ModelKind kind, int fold) => seed * 1_000_003L + (int)kind * 10_007L + fold;

    public static long CountParameters(ModelKind kind, ModelShape shape)
    {
        using var model = ModelFactory.Create(kind, shape);
        return ModelFactory.ParameterCount(model);
    }

    public static byte[] Save(nn.Module model)
    {
        using var stream = new MemoryStream();
        model.save(stream);
        return stream.ToArray();
    }

    public static byte[] SaveSafetensors(nn.Module model)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"distillery-{Guid.NewGuid():N}.safetensors");
        try
        {
            model.save_safetensors(temp);
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public static void Load(nn.Module model, byte[] weights)
    {
        using var stream = new MemoryStream(weights);
        model.load(stream);
    }
}
