using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Training;
using static TorchSharp.torch;

namespace Distillery.Bench;

/// <summary>A dataset's windows as tensors and its folds, prepared as the prepare step does (no durable host).</summary>
public sealed class Fixture : IDisposable
{
    private Fixture(DatasetArtifact meta, WindowTensors windows)
    {
        Meta = meta;
        Windows = windows;
    }

    public DatasetArtifact Meta { get; }
    public WindowTensors Windows { get; }
    public ModelShape Shape => new(Meta.Features.Count, Meta.InputDays, Meta.OutputDays);

    public static Fixture Load(string csvPath, ExperimentSettings? settings = null)
    {
        var s = settings ?? new ExperimentSettings();
        var data = StudyCleaning.Clean(DataSource.LoadFile(csvPath), s.Target);
        var n = Windowing.Count(data.Rows, s.InputDays, s.OutputDays);
        var folds = KFold.TestFolds(n, s.Folds, s.SplitSeed)
            .Select((test, i) => new FoldSplit(i + 1, KFold.TrainIndices(n, test), test)).ToArray();
        var meta = DatasetArtifact.From(data, s.InputDays, s.OutputDays, folds);
        var matrix = data.Scaled.SelectMany(r => r).ToArray();
        return new Fixture(meta, new WindowTensors(meta, matrix, s.WindowNormalization));
    }

    public FoldTensors Fold(int fold, Tensor? targets = null)
    {
        var split = Meta.Folds[fold - 1];
        return new FoldTensors(Windows.Inputs, targets ?? Windows.Targets, Windows.Targets, split.TrainIndices, split.TestIndices);
    }

    public nn.Module<Tensor, Tensor> Model(ModelKind kind, long seed)
    {
        var model = ModelFactory.Create(kind, Shape);
        ModelFactory.Initialize(model, seed);
        return model;
    }

    public void Dispose() => Windows.Dispose();
}
