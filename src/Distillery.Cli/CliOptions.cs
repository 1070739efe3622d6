using System.CommandLine;
using Distillery.Experiments;

namespace Distillery.Cli;

/// <summary>The data and run options shared by the commands, with the study's defaults.</summary>
public sealed class CliOptions
{
    public Option<string?> Data { get; } = new("--data") { Description = "CSV source: a local path, an https URL, or blob:datasets/… (with --connection). Default: the embedded US_FL sample." };
    public Option<string?> Location { get; } = new("--location") { Description = "A COVID-19 Open Data location key, e.g. US_FL (downloads the v3 per-location CSV)." };
    public Option<string> Target { get; } = new("--target") { Description = "Column to forecast.", DefaultValueFactory = _ => ExperimentSettings.DefaultTarget };
    public Option<int> InputDays { get; } = new("--input-days") { Description = "Days of all features fed to the models.", DefaultValueFactory = _ => 10 };
    public Option<int> OutputDays { get; } = new("--output-days") { Description = "Days of the target forecast.", DefaultValueFactory = _ => 14 };
    public Option<int> Folds { get; } = new("--folds") { Description = "K of the shuffled K-fold split.", DefaultValueFactory = _ => 5 };
    public Option<int> SplitSeed { get; } = new("--split-seed") { Description = "random_state of the K-fold shuffle (scikit-learn compatible).", DefaultValueFactory = _ => 22 };
    public Option<int> Epochs { get; } = new("--epochs") { Description = "Epochs; the study trains epochs + 1 passes.", DefaultValueFactory = _ => 100 };
    public Option<int> BatchSize { get; } = new("--batch-size") { Description = "Windows per optimizer step (the study: 1).", DefaultValueFactory = _ => 1 };
    public Option<double> TeacherLr { get; } = new("--teacher-lr") { Description = "Adam learning rate of the teacher.", DefaultValueFactory = _ => 1e-4 };
    public Option<double> StudentLr { get; } = new("--student-lr") { Description = "Adam learning rate of the student and the FNN.", DefaultValueFactory = _ => 1e-5 };
    public Option<long> Seed { get; } = new("--seed") { Description = "Seed of the weight initialisation.", DefaultValueFactory = _ => 0L };
    public Option<int> Threads { get; } = new("--threads") { Description = "Torch threads per training job.", DefaultValueFactory = _ => 1 };
    public Option<int> Parallel { get; } = new("--parallel") { Description = "Training jobs at once (default: the number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
    public Option<string> Out { get; } = new("--out") { Description = "Artifact folder: runs are written to OUT/runs/<runId>/.", DefaultValueFactory = _ => "." };
    public Option<string?> Connection { get; } = new("--connection") { Description = "Azure Storage connection string (e.g. UseDevelopmentStorage=true for Azurite): store artifacts in Blob Storage instead of --out." };
    public Option<string> Container { get; } = new("--container") { Description = "Blob container with --connection.", DefaultValueFactory = _ => "distillery" };
    public Option<string?> RunId { get; } = new("--run-id") { Description = "Id of the run (default: time-based)." };
    public Option<int[]?> PlotWindows { get; } = new("--plot-windows") { Description = "Windows (0-based) whose forecasts the report draws (default: the study's 133 306 411 505 761 where they exist).", AllowMultipleArgumentsPerToken = true };

    public IEnumerable<Option> DataOptions => [Data, Location, Target, InputDays, OutputDays];

    public IEnumerable<Option> RunOptions => [.. DataOptions, Folds, SplitSeed, Epochs, BatchSize, TeacherLr, StudentLr, Seed,
        Threads, Parallel, Out, Connection, Container, RunId, PlotWindows];

    public string? DataSpec(ParseResult result)
    {
        var data = result.GetValue(Data);
        var location = result.GetValue(Location);
        if (data is not null && location is not null) throw new InvalidInputException("give either --data or --location, not both");
        return location is not null ? $"location:{location}" : data;
    }

    public ExperimentSettings Settings(ParseResult result) => new ExperimentSettings
    {
        Data = DataSpec(result),
        Target = result.GetValue(Target)!,
        InputDays = result.GetValue(InputDays),
        OutputDays = result.GetValue(OutputDays),
        Folds = result.GetValue(Folds),
        SplitSeed = result.GetValue(SplitSeed),
        Epochs = result.GetValue(Epochs),
        BatchSize = result.GetValue(BatchSize),
        TeacherLr = result.GetValue(TeacherLr),
        StudentLr = result.GetValue(StudentLr),
        Seed = result.GetValue(Seed),
        Threads = result.GetValue(Threads),
        PlotWindows = result.GetValue(PlotWindows) is { Length: > 0 } windows ? windows : null,
    }.Validated();
}
