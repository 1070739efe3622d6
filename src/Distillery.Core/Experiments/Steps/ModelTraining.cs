using System.Diagnostics;
using Distillery.Models;
using Distillery.Storage;
using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Experiments.Steps;

/// <summary>
/// Trains one model of one fold and stores it — what the teacher and the student steps share. A job whose outcome
/// and weights are stored and verified is returned as it is; anything missing or corrupt is trained again, to the
/// same bits: each job is seeded from (run seed, architecture, fold).
/// </summary>
public sealed class ModelTraining(IArtifactStore store, PrepareDatasetStep prepare, ITrainingObserver? observer = null)
{
    /// <param name="teacherWeights">The frozen teacher a distilled student learns from (null for every other job).</param>
    public async Task<TrainedModel> RunAsync(TrainRequest request, Func<RunArtifacts, Task<byte[]>>? teacherWeights, CancellationToken ct)
    {
        var settings = request.Settings.Validated();
        var artifacts = new RunArtifacts(store, new RunLayout(RunIds.Validate(request.RunId), request.Part));
        var stored = await artifacts.FinishedOutcomeAsync(request.Kind, request.Fold, request.Variant, ct);
        if (stored is not null) return stored.Model;

        var (meta, matrix) = await DatasetForTrainingAsync(artifacts, settings, request.Fold, ct);
        var split = meta.Folds.SingleOrDefault(f => f.Fold == request.Fold)
                    ?? throw new InvalidInputException($"fold {request.Fold} does not exist (the run has {meta.Folds.Count} folds)");
        var teacher = teacherWeights is null ? null : await teacherWeights(artifacts);

        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        // Synchronous from here: TorchSharp dispose scopes are per thread.
        var trained = Train(request, settings, meta, matrix, split, teacher, ct);
        var seconds = clock.Elapsed.TotalSeconds;

        await artifacts.WriteModelAsync(request.Kind, request.Fold, request.Variant, trained.Weights, trained.Safetensors, ct);
        var curves = trained.Curves;
        var layout = artifacts.Layout;
        var model = new TrainedModel(layout.RunId, request.Kind, request.Fold, layout.Model(request.Kind, request.Fold, request.Variant),
            layout.Outcome(request.Kind, request.Fold, request.Variant), curves.FinalTrain, curves.FinalTest, curves.FinalTestVsTruth,
            seconds, request.Part, request.StudentHidden, trained.Parameters, WorkerIdentity.Current, started, started.AddSeconds(seconds));
        await artifacts.WriteOutcomeAsync(new TrainingOutcome(model, curves.Train, curves.Test, curves.TestVsTruth, trained.Truth,
            curves.Validation, curves.BestPass, trained.Calibration), request.Variant, ct);
        return model;
    }

    /// <summary>The fold's dataset, verified against its stored hashes; a corrupt (or unhashed) one is prepared again
    /// first — preparing is deterministic, so the models see the same numbers.</summary>
    private async Task<(DatasetArtifact Meta, double[] Matrix)> DatasetForTrainingAsync(RunArtifacts artifacts, ExperimentSettings settings,
        int fold, CancellationToken ct)
    {
        try
        {
            return await artifacts.FoldDatasetAsync(settings.EvaluationProtocol, fold, ct, requireHash: true);
        }
        catch (CorruptArtifactException)
        {
            await prepare.RunAsync(new PrepareRequest(artifacts.Layout.RunId, settings, artifacts.Layout.Part), ct);
            return await artifacts.FoldDatasetAsync(settings.EvaluationProtocol, fold, ct, requireHash: true);
        }
    }

    private sealed record Trained(LossCurves Curves, byte[] Weights, byte[] Safetensors, TruthMetrics Truth, Scoring.ConformalCalibration? Calibration,
        long Parameters);

    private Trained Train(TrainRequest request, ExperimentSettings settings, DatasetArtifact meta, double[] matrix, FoldSplit split,
        byte[]? teacherWeights, CancellationToken ct)
    {
        // Per job and on this thread: with OpenMP the thread count is a per-thread setting, and a fixed count keeps
        // reductions (and so the numbers) identical from run to run.
        set_num_threads(settings.Threads);
        using var scope = NewDisposeScope();
        var normalization = settings.WindowNormalization;
        // Inputs and targets in the normalised space; the teacher's outputs are in it too, so blending stays linear.
        using var windows = new WindowTensors(meta, matrix, normalization);
        var targets = windows.Targets;
        if (teacherWeights is not null)
        {
            // The frozen teacher's outputs, computed once: the same numbers the study recomputed at every step.
            using var teacher = ModelFactory.Create(ModelKind.Teacher, settings.ShapeFor(meta));
            ModelSerializer.Load(teacher, teacherWeights);
            var teacherOutputs = Trainer.Predict(teacher, windows.Inputs);
            // α·MSE(s, truth) + (1 − α)·MSE(s, teacher) has the gradient of MSE(s, α·truth + (1 − α)·teacher):
            // training on the blended target is the blended loss (up to a constant), and α = 0 is exactly the study's.
            targets = settings.Alpha == 0 ? teacherOutputs : windows.Targets * settings.Alpha + teacherOutputs * (1 - settings.Alpha);
        }
        var model = ModelFactory.Create(request.Kind, settings.ShapeFor(meta, request.StudentHidden));
        // The student and the FNN start from the same weights: they differ only in what they are trained towards.
        ModelFactory.Initialize(model, JobSeed(settings.Seed, request.Kind.Architecture(), request.Fold));
        // Early stopping holds out the latest training windows (never test ones), scored against the same targets the
        // model learns: the criterion is the objective being optimised (for the student, the teacher's blended outputs).
        var (trainWindows, validationWindows) = settings.EarlyStoppingFraction is { } fraction
            ? ValidationSplit.Split(split, fraction, settings.InputDays, settings.OutputDays)
            : (split.TrainIndices, null);
        var fold = new FoldTensors(windows.Inputs, targets, windows.Targets, trainWindows, split.TestIndices, validationWindows);
        var options = settings.TrainingKernels.Apply(new TrainingOptions(settings.Epochs, settings.LearningRate(request.Kind), settings.BatchSize,
            settings.Seed) { EarlyStoppingPatience = settings.EarlyStoppingPatience });
        var curves = Trainer.Train(model, fold, options, alsoTestVsTruth: request.Kind.LearnsFromTeacher(),
            onPass: p => observer?.OnPass(request.RunId, request.Kind, request.Fold, p), ct: ct);
        var (truth, calibration) = EvaluateOnTest(model, windows, normalization, meta, matrix, split, validationWindows);
        return new Trained(curves, ModelSerializer.Save(model), ModelSerializer.SaveSafetensors(model), truth, calibration,
            ModelFactory.ParameterCount(model));
    }

    /// <summary>Accuracy of the final model against the true targets of the fold's test windows; with
    /// <paramref name="validationWindows"/> (early stopping's block) also its probabilistic scores and the calibration
    /// they came from, fitted on them.</summary>
    internal static (TruthMetrics Metrics, Scoring.ConformalCalibration? Calibration) EvaluateOnTest(nn.Module<Tensor, Tensor> model, WindowTensors windows, WindowNormalization normalization,
        DatasetArtifact meta, double[] matrix, FoldSplit split, IReadOnlyList<int>? validationWindows = null)
    {
        using var scope = NewDisposeScope();
        var forecast = Forecast(model, windows, normalization, meta, matrix, split.TestIndices);
        var truth = Evaluation.Truth(meta, matrix, split.TestIndices);
        var persistenceMae = Evaluation.MaeOf(Evaluation.Persistence(meta, matrix, split.TestIndices), truth, meta);
        var metrics = Evaluation.Compute(forecast, truth, meta, persistenceMae);
        if (validationWindows is null) return (metrics, null);
        // The validation forecasts go through the same path as the test ones, so residuals and forecasts agree.
        var validation = Forecast(model, windows, normalization, meta, matrix, validationWindows);
        return ProbabilisticEvaluation.WithModelScores(metrics, meta, matrix, validation, validationWindows, forecast, split.TestIndices,
            split.TrainIndices);
    }

    /// <summary>Scaled forecasts [window][day] of the model for the chosen windows.</summary>
    private static double[][] Forecast(nn.Module<Tensor, Tensor> model, WindowTensors windows, WindowNormalization normalization,
        DatasetArtifact meta, double[] matrix, IReadOnlyList<int> indices)
    {
        using var scope = NewDisposeScope();
        using var index = tensor(indices.Select(i => (long)i).ToArray());
        var predicted = Trainer.Predict(model, windows.Inputs.index_select(0, index));
        return normalization.Forecasts(predicted, meta, matrix, indices);
    }

    /// <summary>One seed per (run seed, architecture, fold): numbers do not depend on execution order or parallelism.</summary>
    public static long JobSeed(long seed, Architecture architecture, int fold) => seed * 1_000_003L + (int)architecture * 10_007L + fold;
}
