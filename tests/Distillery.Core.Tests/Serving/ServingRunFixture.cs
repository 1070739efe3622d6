using Distillery.Data;
using Distillery.Experiments;
using Distillery.Models;
using Distillery.Storage;
using Distillery.Tests.Experiments;
using Distillery.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Distillery.Tests.Serving;

/// <summary>A tiny real run (US_FL, 2 folds, 1 epoch) made once by the experiment steps, and US_FL's raw rows.</summary>
public sealed class ServingRunFixture : IAsyncLifetime
{
    public const string RunId = "serving-test";
    private readonly TempDir dir = new();

    public IArtifactStore Store { get; private set; } = null!;
    public RunResults Results { get; private set; } = null!;
    public DatasetArtifact Meta { get; private set; } = null!;
    public double[] Matrix { get; private set; } = null!;
    /// <summary>Every row of US_FL.csv (sorted by date in the file) as column → cell.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> UsFlRows { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var steps = TinyRun.Steps(dir.Path);
        Store = steps.Store;
        await TinyRun.RunStepsAsync(steps, RunId, TinyRun.Settings(epochs: 1));
        Results = (await Store.ReadJsonAsync<RunResults>(new RunLayout(RunId).Results))!;
        (Meta, Matrix) = await new RunArtifacts(Store, new RunLayout(RunId)).DatasetAsync(default);
        UsFlRows = ReadUsFlRows();
    }

    /// <summary>Every row of US_FL.csv as column → cell.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> ReadUsFlRows()
    {
        using var csv = File.OpenRead(RepoPaths.UsFl);
        var table = RawTableReader.Read(csv, "US_FL");
        return table.Rows
            .Select(cells => (IReadOnlyDictionary<string, string>)table.Columns.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => cells[x.i]))
            .ToList();
    }

    public IReadOnlyList<IReadOnlyDictionary<string, string>> Last(int n) => UsFlRows.TakeLast(n).ToList();

    /// <summary>The stored model evaluated directly on the stored scaled matrix rows <paramref name="firstRow"/>…+inputDays−1,
    /// unscaled to patients/day.</summary>
    public async Task<double[]> DirectAsync(ModelKind kind, int fold, int firstRow)
    {
        var weights = (await Store.ReadAsync(new RunLayout(RunId).Model(kind, fold)))!;
        int f = Meta.Features.Count, days = Meta.InputDays;
        var x = new float[days * f];
        for (var d = 0; d < days; d++)
            for (var c = 0; c < f; c++)
                x[d * f + c] = (float)Matrix[(firstRow + d) * f + c];
        using var scope = NewDisposeScope();
        using var model = ModelFactory.Create(kind, Results.Settings.ShapeFor(Meta));
        ModelSerializer.Load(model, weights);
        var output = Trainer.Predict(model, tensor(x, [1, days, f])).to_type(ScalarType.Float64).cpu();
        return output.data<double>().ToArray().Select(Meta.UnscaleTarget).ToArray();
    }

    public Task DisposeAsync()
    {
        dir.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class ServingRunCollection : ICollectionFixture<ServingRunFixture>
{
    public const string Name = "serving run";
}
