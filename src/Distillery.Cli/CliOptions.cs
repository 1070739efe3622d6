using System.CommandLine;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Hosting;
using Distillery.Training;

namespace Distillery.Cli;

/// <summary>The data and run options shared by the commands, with the study's defaults.</summary>
public sealed class CliOptions
{
    public Option<string[]> Data { get; } = new("--data") { Description = "CSV source: a local path, an https URL, or blob:datasets/… (with --connection); repeat for several locations. Default: the embedded US_FL sample." };
    public Option<string?> Location { get; } = new("--location") { Description = "COVID-19 Open Data location keys, e.g. US_FL or US_FL,US_TX (downloads the v3 per-location CSVs)." };
    public Option<string> Protocol { get; } = new("--protocol") { Description = "study (the study's, leaky), leakage-free, or both.", DefaultValueFactory = _ => EvaluationProtocol.Study.Name };
    public Option<double> Alpha { get; } = new("--alpha") { Description = "Blended distillation: α·MSE(truth) + (1−α)·MSE(teacher); 0 = the study's student, 1 = the FNN.", DefaultValueFactory = _ => 0.0 };
    public Option<string> StudentHidden { get; } = new("--student-hidden") { Description = "Student hidden width(s), comma-separated for a size sweep, e.g. 8,16,32,50 (the first is the main student).", DefaultValueFactory = _ => "50" };
    public Option<int> StudentLayers { get; } = new("--student-layers") { Description = "Hidden layers of the student and FNN.", DefaultValueFactory = _ => 2 };
    public Option<string> Preset { get; } = new("--preset") { Description = "study (the study's settings), fast (mini-batches) or forecast (fast + last-value normalisation, top:8 features, early stopping; use with --protocol leakage-free); see README. Explicit options override it.", DefaultValueFactory = _ => "study" };
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
    public Option<string?> TaskHub { get; } = new("--task-hub") { Description = "Durable task hub with --connection (default: the DURABLE_TASK_HUB setting, else distillery)." };
    public Option<int> Takeover { get; } = new("--takeover") { Description = "Seconds before another worker takes over the work of a worker that died (with --connection).", DefaultValueFactory = _ => (int)DurableBackend.AzureStorage.DefaultTakeover.TotalSeconds };
    public Option<bool> NoWait { get; } = new("--no-wait") { Description = "With --connection: schedule the run, print its id and return; workers do the work." };
    public Option<string> Container { get; } = new("--container") { Description = "Blob container with --connection.", DefaultValueFactory = _ => "distillery" };
    public Option<string?> RunId { get; } = new("--run-id") { Description = "Id of the run (default: time-based)." };
    public Option<string?> Resume { get; } = new("--resume") { Description = "Resume the run with this id from its stored settings (runs/ID/settings.json) and artifacts: finished steps are not recomputed." };
    public Option<string?> Normalization { get; } = new("--normalization") { Description = $"{WindowNormalizations.NoneName} (default) or {WindowNormalizations.LastValueName}: subtract each window's last value from its inputs and targets (the networks predict the change, linear heads)." };
    public Option<string?> TargetTransform { get; } = new("--target-transform") { Description = $"{TargetTransforms.NoneName} (default) or {TargetTransforms.Log1pName}: transform the target before scaling (inverted in every forecast)." };
    public Option<int?> EarlyStoppingPatience { get; } = new("--early-stopping-patience") { Description = "Early stopping (off by default): stop after this many passes without a lower loss on a validation block of each fold's latest training windows, and keep the best pass's weights; 0 turns a preset's off." };
    public Option<string?> Features { get; } = new("--features") { Description = "Input columns (default all: every column the cleaning keeps): top:K keeps the target and the K columns most correlated with it on the training rows, or list column names, comma-separated (the target is always kept; a listed column the data lacks is left out and the report says so)." };
    public Option<string?> Kernels { get; } = new("--kernels") { Description = $"{TrainingKernelNames.FusedName} (default: Distillery's vectorised training steps and Adam) or {TrainingKernelNames.LibtorchName} (libtorch's autograd and Adam, bit for bit the numbers before the fused steps; slower)." };
    public Option<double?> ValidationFraction { get; } = new("--validation-fraction") { Description = $"With --early-stopping-patience: the share of each fold's training windows held out (default {ExperimentSettings.DefaultValidationFraction})." };
    public Option<int[]?> PlotWindows { get; } = new("--plot-windows") { Description = "Windows (0-based) whose forecasts the report draws (default: the study's 133 306 411 505 761 where they exist).", AllowMultipleArgumentsPerToken = true };

    /// <summary>In memory without a connection; the Azure Storage task hub of that account with one.</summary>
    public DurableBackend Backend(ParseResult result)
    {
        var connection = result.GetValue(Connection);
        var takeover = result.GetResult(Takeover) is null ? (int)DurableBackend.AzureStorage.DefaultTakeover.TotalSeconds : result.GetValue(Takeover);
        if (takeover < 1) throw new InvalidInputException($"--takeover must be ≥ 1 second, got {takeover}");
        if (connection is null)
        {
            var needs = new Option[] { TaskHub, NoWait, Takeover }.Where(o => result.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToList();
            return needs.Count == 0 ? new DurableBackend.InMemory()
                : throw new InvalidInputException($"{string.Join(", ", needs)}: only with --connection (the Azure Storage task hub)");
        }
        var hub = result.GetValue(TaskHub) ?? Environment.GetEnvironmentVariable("DURABLE_TASK_HUB") ?? DurableBackend.AzureStorage.DefaultTaskHub;
        return new DurableBackend.AzureStorage(connection, DurableBackend.AzureStorage.ValidateTaskHub(hub), TimeSpan.FromSeconds(takeover));
    }

    public IEnumerable<Option> DataOptions => [Data, Location, Target, InputDays, OutputDays];

    public IEnumerable<Option> RunOptions => [.. DataOptions, Protocol, Folds, SplitSeed, Epochs, BatchSize, TeacherLr, StudentLr, Seed,
        Alpha, StudentHidden, StudentLayers, Normalization, TargetTransform, EarlyStoppingPatience, ValidationFraction, Features, Kernels, Preset, Threads, Parallel, Out, Connection, TaskHub, Takeover, NoWait, Container, RunId, Resume, PlotWindows];

    /// <summary>The options that make up a run's settings (a resumed run takes them from its stored settings.json).</summary>
    public IEnumerable<Option> SettingsOptions => [.. DataOptions, Protocol, Folds, SplitSeed, Epochs, BatchSize, TeacherLr, StudentLr, Seed,
        Alpha, StudentHidden, StudentLayers, Normalization, TargetTransform, EarlyStoppingPatience, ValidationFraction, Features, Kernels, Preset, Threads, RunId, PlotWindows];

    /// <summary>The data sources of --data or --location, each parsed (a bad one is named here, before anything runs),
    /// as <see cref="ExperimentSettings.Data"/> holds them (null: the embedded default).</summary>
    public string? DataSources(ParseResult result)
    {
        var data = result.GetValue(Data) ?? [];
        var location = result.GetValue(Location);
        if (data.Length > 0 && location is not null) throw new InvalidInputException("give either --data or --location, not both");
        if (data.Any(d => d.Contains(','))) throw new InvalidInputException("--data takes one source; repeat --data for several");
        if (location is null && data.Length == 0) return null;
        var sources = location is null
            ? data.Select(DataSpec.Parse).ToArray()
            : location.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(k => (DataSpec)new DataSpec.Location(k)).ToArray();
        return sources.Length > 0 ? DataSpec.Join(sources) : throw new InvalidInputException("--location names no location key, e.g. US_FL or US_FL,US_TX");
    }

    public ExperimentSettings Settings(ParseResult result)
    {
        // A preset fills in its values; options given explicitly win over it.
        var preset = Presets.Apply(result.GetValue(Preset)!, new ExperimentSettings());
        T Pick<T>(Option<T> option, T presetValue) => result.GetResult(option) is { Implicit: false } ? result.GetValue(option)! : presetValue;
        return new ExperimentSettings
        {
            Data = DataSources(result),
            Target = result.GetValue(Target)!,
            InputDays = result.GetValue(InputDays),
            OutputDays = result.GetValue(OutputDays),
            Protocol = result.GetValue(Protocol)!,
            Folds = result.GetValue(Folds),
            SplitSeed = result.GetValue(SplitSeed),
            Epochs = Pick(Epochs, preset.Epochs),
            BatchSize = Pick(BatchSize, preset.BatchSize),
            TeacherLr = Pick(TeacherLr, preset.TeacherLr),
            StudentLr = Pick(StudentLr, preset.StudentLr),
            Seed = result.GetValue(Seed),
            Alpha = result.GetValue(Alpha),
            StudentHidden = ParseWidths(result.GetValue(StudentHidden)!),
            StudentLayers = result.GetValue(StudentLayers),
            Threads = result.GetValue(Threads),
            PlotWindows = result.GetValue(PlotWindows) is { Length: > 0 } windows ? windows : null,
            Normalization = Pick(Normalization, preset.Normalization),
            TargetTransform = Pick(TargetTransform, preset.TargetTransform),
            // 0 turns a preset's early stopping off.
            EarlyStoppingPatience = Pick(EarlyStoppingPatience, preset.EarlyStoppingPatience) is > 0 and var patience ? patience : null,
            ValidationFraction = Pick(ValidationFraction, preset.ValidationFraction),
            Features = Pick(Features, preset.Features),
            Kernels = result.GetValue(Kernels),
        }.Validated();
    }

    private static int[] ParseWidths(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var widths = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out widths[i]))
                throw new InvalidInputException($"--student-hidden must be comma-separated widths such as 8,16,32,50, got '{text}'");
        return widths;
    }
}
