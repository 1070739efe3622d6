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
/// The study's experiment as separate steps: prepare → train teacher per fold → select teacher → train student
/// (distilled and FNN) per fold → summarize. Each step reads and writes artifacts by deterministic paths and is
/// idempotent: a step whose outcome is already stored returns it without recomputing.
/// </summary>
public sealed class ExperimentSteps(IArtifactStore store, DataSourceOptions dataOptions, ITrainingObserver? observer = null)
{
    public IArtifactStore Store => store;

    public async Task<PreparedDataset> PrepareAsync(PrepareRequest request, CancellationToken ct = default)
    {
        var settings = request.Settings.Validated();
        var layout = new RunLayout(RunIds.Validate(request.RunId));
        var clock = Stopwatch.StartNew();
        var existing = await store.ReadJsonAsync<DatasetArtifact>(layout.DatasetJson, ct);
        if (existing is null || !await store.ExistsAsync(layout.DatasetMatrix, ct))
        {
            var data = await LoadCleanAsync(settings, ct);
            var windows = Windowing.Count(data.Rows, settings.InputDays, settings.OutputDays);
            if (settings.Folds > windows)
                throw new InvalidInputException($"folds must be between 2 and the number of windows ({windows}), got {settings.Folds}");
            var tests = KFold.TestFolds(windows, settings.Folds, settings.SplitSeed);
            var folds = tests.Select((test, i) => new FoldSplit(i + 1, KFold.TrainIndices(windows, test), test)).ToArray();
            existing = DatasetArtifact.From(data, settings.InputDays, settings.OutputDays, folds);
            // Matrix first, description last: the description marks a complete artifact.
            await store.WriteAsync(layout.DatasetMatrix, DatasetArtifact.EncodeMatrix(data.Scaled), ct);
            await store.WriteJsonAsync(layout.DatasetJson, existing, ct);
        }
        var shape = Shape(existing, settings);
        return new PreparedDataset(layout.RunId, layout.DatasetJson, existing.Source, existing.Rows, existing.Windows,
            existing.Features.Count, existing.Folds.Count, CountParameters(ModelKind.Teacher, shape),
            CountParameters(ModelKind.Student, shape), clock.Elapsed.TotalSeconds);
    }

    /// <summary>Loads and cleans the run's data source (also used by <c>distillery prepare</c>).</summary>
    public async Task<CleanDataset> LoadCleanAsync(ExperimentSettings settings, CancellationToken ct = default)
    {
        var spec = settings.Data ?? DefaultData.Path;
        RawTable table;
        if (spec.StartsWith(BlobPrefix, StringComparison.Ordinal))
        {
            var path = ArtifactPath.Validate(spec[BlobPrefix.Length..]);
            var bytes = await store.ReadAsync(path, ct) ?? throw new InvalidInputException($"dataset '{spec}' not found in {store.Describe()}");
            using var stream = new MemoryStream(bytes);
            table = RawTableReader.Read(stream, spec, dataOptions.MaxBytes);
        }
        else
        {
            table = await DataSource.LoadAsync(spec, dataOptions, ct);
        }
        return StudyCleaning.Clean(table, settings.Target);
    }

    public const string BlobPrefix = "blob:";

    public Task<TrainedModel> TrainTeacherAsync(TrainRequest request, CancellationToken ct = default) =>
        TrainAsync(request with { Kind = ModelKind.Teacher, TeacherFold = null }, ct);

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
        var layout = new RunLayout(RunIds.Validate(request.RunId));
        var outcomePath = layout.Outcome(request.Kind, request.Fold);
        var stored = await store.ReadJsonAsync<TrainingOutcome>(outcomePath, ct);
        if (stored is not null && await store.ExistsAsync(stored.Model.ModelPath, ct)) return stored.Model;

        var (meta, matrix) = await DatasetArtifact.LoadAsync(store, layout, ct);
        var split = meta.Folds.SingleOrDefault(f => f.Fold == request.Fold)
                    ?? throw new InvalidInputException($"fold {request.Fold} does not exist (the run has {meta.Folds.Count} folds)");
        var shape = Shape(meta, settings);
        byte[]? teacherWeights = null;
        if (request.Kind == ModelKind.Student)
            teacherWeights = await store.ReadAsync(layout.Model(ModelKind.Teacher, request.TeacherFold!.Value), ct)
                             ?? throw new InvalidOperationException($"teacher of fold {request.TeacherFold} is missing");

        var clock = Stopwatch.StartNew();
        // Synchronous from here: TorchSharp dispose scopes are per thread.
        var (curves, weights, safetensors) = TrainModel(request, settings, shape, meta, matrix, split, teacherWeights, ct);
        var seconds = clock.Elapsed.TotalSeconds;

        var modelPath = layout.Model(request.Kind, request.Fold);
        await store.WriteAsync(modelPath, weights, ct);
        await store.WriteAsync(layout.Safetensors(request.Kind, request.Fold), safetensors, ct);
        var model = new TrainedModel(layout.RunId, request.Kind, request.Fold, modelPath, outcomePath,
            curves.FinalTrain, curves.FinalTest, curves.FinalTestVsTruth, seconds);
        await store.WriteJsonAsync(outcomePath, new TrainingOutcome(model, curves.Train, curves.Test, curves.TestVsTruth), ct);
        return model;
    }

    private (LossCurves Curves, byte[] Weights, byte[] Safetensors) TrainModel(TrainRequest request, ExperimentSettings settings,
        ModelShape shape, DatasetArtifact meta, double[] matrix, FoldSplit split, byte[]? teacherWeights, CancellationToken ct)
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
            using var teacher = ModelFactory.Create(ModelKind.Teacher, shape);
            Load(teacher, teacherWeights);
            targets = Trainer.Predict(teacher, windows.Inputs);
        }
        var model = ModelFactory.Create(request.Kind, shape);
        ModelFactory.Initialize(model, JobSeed(settings.Seed, request.Kind, request.Fold));
        var fold = new FoldTensors(windows.Inputs, targets, windows.Targets, split.TrainIndices, split.TestIndices);
        var options = new TrainingOptions(settings.Epochs,
            request.Kind == ModelKind.Teacher ? settings.TeacherLr : settings.StudentLr, settings.BatchSize, settings.Seed);
        var curves = Trainer.Train(model, fold, options, alsoTestVsTruth: request.Kind == ModelKind.Student,
            onPass: p => observer?.OnPass(request.RunId, request.Kind, request.Fold, p), ct: ct);
        return (curves, Save(model), SaveSafetensors(model));
    }

    public async Task<RunSummary> SummarizeAsync(SummarizeRequest request, CancellationToken ct = default)
    {
        var layout = new RunLayout(RunIds.Validate(request.RunId));
        var results = await RunResults.BuildAsync(store, layout, request, ct);
        await store.WriteJsonAsync(layout.Results, results, ct);
        var report = await RunReport.WriteAsync(store, layout.RunId, new ReportOptions { PlotWindows = request.Settings.PlotWindows }, ct);
        return new RunSummary(layout.RunId, layout.Results, report.Html, request.BestTeacherFold, results.Summary);
    }

    public static ModelShape Shape(DatasetArtifact meta, ExperimentSettings settings) =>
        new(meta.Features.Count, settings.InputDays, settings.OutputDays);

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
