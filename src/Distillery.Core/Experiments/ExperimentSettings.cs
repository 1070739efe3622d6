using System.Text.Json.Serialization;
using Distillery.Data;

namespace Distillery.Experiments;

/// <summary>
/// Every option of a run, with the study's defaults. Serialized camelCase into results.json and accepted as the
/// JSON body of <c>POST /api/experiments</c>.
/// </summary>
public sealed record ExperimentSettings
{
    public const string DefaultTarget = "new_hospitalized_patients";

    /// <summary>Data source, as written (the JSON keeps it verbatim): a local path, an https URL, <c>location:KEY</c> or
    /// <c>blob:datasets/…</c> (<see cref="DataSpec"/>). Null means the embedded default (US_FL). Several sources,
    /// comma-separated, run one experiment per location in the same run. Read it typed as <see cref="Sources"/>.</summary>
    public string? Data
    {
        get => data;
        init => (data, sources) = (value, ParseSources(value));
    }
    private readonly string? data;
    // Parsed once, when Data is set; bad text is kept as its message for Problems() to report with the other fields.
    private readonly (IReadOnlyList<DataSpec>? Specs, string? Error) sources = ParseSources(null);
    /// <summary><c>study</c> (the default, the study's leaky protocol), <c>leakage-free</c>, or <c>both</c>
    /// (<see cref="EvaluationProtocol"/>; the code uses <see cref="Protocols"/>).</summary>
    public string Protocol { get; init; } = EvaluationProtocol.Study.Name;
    /// <summary>Blended distillation: loss = α·MSE(student, truth) + (1 − α)·MSE(student, teacher).
    /// 0 is the study's student, 1 the FNN.</summary>
    public double Alpha { get; init; }
    /// <summary>Hidden width of the student (and FNN); more than one trains a student per size (a sweep).
    /// The first is the main student.</summary>
    public int[] StudentHidden { get; init; } = [50];
    public int StudentLayers { get; init; } = 2;
    /// <summary>A sweep names the smallest student whose test MAE is within this fraction of the teacher's.</summary>
    public double SweepTolerance { get; init; } = 0.1;
    public string Target { get; init; } = DefaultTarget;
    public int InputDays { get; init; } = 10;
    public int OutputDays { get; init; } = 14;
    public int Folds { get; init; } = 5;
    public int SplitSeed { get; init; } = 22;
    public int Epochs { get; init; } = 100;
    public int BatchSize { get; init; } = 1;
    public double TeacherLr { get; init; } = 1e-4;
    public double StudentLr { get; init; } = 1e-5;
    public long Seed { get; init; }
    /// <summary>Torch threads per training job.</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Windows (0-based) whose forecasts the report draws. Null: the study's 133, 306, 411, 505, 761
    /// where they exist, else five spread evenly.</summary>
    public int[]? PlotWindows { get; init; }
    /// <summary><c>none</c> or <c>last-value</c> (<see cref="WindowNormalization"/>: the networks predict the change from
    /// the window's last day, with linear heads). Null is none and is not written, so settings without it keep their bytes.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Normalization { get; init; }
    /// <summary><c>none</c> or <c>log1p</c> (<see cref="Data.TargetTransform"/>, applied to the target before scaling).
    /// Null is none and is not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TargetTransform { get; init; }
    /// <summary>Early stopping: stop after this many passes without a lower validation loss and keep the best pass's
    /// weights (<see cref="ValidationSplit"/>). Null is off and is not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Share of each fold's training windows held out for early stopping (null: <see cref="DefaultValidationFraction"/>).
    /// Only with <see cref="EarlyStoppingPatience"/>. Null is not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? ValidationFraction { get; init; }
    public const double DefaultValidationFraction = 0.2;
    /// <summary>The input columns (<see cref="FeatureSelection"/>): <c>top:K</c>, or column names, comma-separated (the
    /// target is always kept). Null is every column the cleaning keeps, the study's, and is not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Features { get; init; }
    /// <summary><c>fused</c> (the default) or <c>libtorch</c> (<see cref="Training.TrainingKernels"/>): which arithmetic
    /// trains the networks. Null is fused and is not written.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Kernels { get; init; }

    /// <summary>Each invalid field with the reason, empty when the settings are usable.</summary>
    public IReadOnlyList<(string Field, string Problem)> Problems()
    {
        var problems = new List<(string, string)>();
        void Check(bool ok, string field, string problem) { if (!ok) problems.Add((field, problem)); }
        Check(!string.IsNullOrWhiteSpace(Target), "target", "must name a column");
        Check(InputDays is >= 1 and <= 365, "inputDays", $"must be between 1 and 365, got {InputDays}");
        Check(OutputDays is >= 1 and <= 365, "outputDays", $"must be between 1 and 365, got {OutputDays}");
        Check(Folds is >= 2 and <= 100, "folds", $"must be between 2 and 100, got {Folds}");
        Check(SplitSeed >= 0, "splitSeed", $"must be ≥ 0, got {SplitSeed}");
        Check(Epochs is >= 0 and <= 100_000, "epochs", $"must be between 0 and 100000, got {Epochs}");
        Check(BatchSize is >= 1 and <= 100_000, "batchSize", $"must be ≥ 1, got {BatchSize}");
        Check(double.IsFinite(TeacherLr) && TeacherLr > 0, "teacherLr", $"must be a finite number > 0, got {TeacherLr}");
        Check(double.IsFinite(StudentLr) && StudentLr > 0, "studentLr", $"must be a finite number > 0, got {StudentLr}");
        Check(Seed >= 0, "seed", $"must be ≥ 0, got {Seed}");
        Check(Threads is >= 1 and <= 256, "threads", $"must be between 1 and 256, got {Threads}");
        Check(EvaluationProtocol.Choices.Contains(Protocol), "protocol", $"must be one of {string.Join(", ", EvaluationProtocol.Choices)}, got '{Protocol}'");
        Check(double.IsFinite(Alpha) && Alpha is >= 0 and <= 1, "alpha", $"must be between 0 and 1, got {Alpha}");
        Check(StudentHidden is { Length: >= 1 and <= 16 } && StudentHidden.All(h => h is >= 1 and <= 4096), "studentHidden",
            "must list 1 to 16 widths, each between 1 and 4096");
        Check(double.IsFinite(SweepTolerance) && SweepTolerance is >= 0 and <= 10, "sweepTolerance", $"must be between 0 and 10, got {SweepTolerance}");
        Check(StudentLayers is >= 1 and <= 8, "studentLayers", $"must be between 1 and 8, got {StudentLayers}");
        if (sources.Error is { } dataError) problems.Add(("data", dataError));
        else Check(Sources.Count <= 20, "data", "at most 20 sources in one run");
        Check(PlotWindows is null || (PlotWindows.Length <= 20 && PlotWindows.All(w => w >= 0)), "plotWindows",
            "must be at most 20 window indices, each ≥ 0");
        Check(Normalization is null || WindowNormalizations.Names.Contains(Normalization), "normalization",
            $"must be one of {string.Join(", ", WindowNormalizations.Names)}, got '{Normalization}'");
        Check(TargetTransform is null || TargetTransforms.Names.Contains(TargetTransform), "targetTransform",
            $"must be one of {string.Join(", ", TargetTransforms.Names)}, got '{TargetTransform}'");
        Check(EarlyStoppingPatience is null or (>= 1 and <= 100_000), "earlyStoppingPatience",
            $"must be between 1 and 100000 passes, got {EarlyStoppingPatience}");
        Check(ValidationFraction is null || (double.IsFinite(ValidationFraction.Value) && ValidationFraction is > 0 and <= 0.5), "validationFraction",
            $"must be > 0 and ≤ 0.5, got {ValidationFraction}");
        try { FeatureSelection.Parse(Features); }
        catch (InvalidInputException e) { problems.Add(("features", e.Message)); }
        Check(Kernels is null || Training.TrainingKernelNames.Names.Contains(Kernels), "kernels",
            $"must be one of {string.Join(", ", Training.TrainingKernelNames.Names)}, got '{Kernels}'");
        Check(ValidationFraction is null || EarlyStoppingPatience is not null, "validationFraction", "only applies with earlyStoppingPatience");
        return problems;
    }

    /// <summary>The validation share when early stopping is on, null when it is off.</summary>
    [JsonIgnore]
    public double? EarlyStoppingFraction => EarlyStoppingPatience is null ? null : ValidationFraction ?? DefaultValidationFraction;

    /// <summary><see cref="Normalization"/> typed (throws <see cref="InvalidInputException"/> for an unknown name).</summary>
    [JsonIgnore]
    public WindowNormalization WindowNormalization => WindowNormalizations.Parse(Normalization);

    /// <summary><see cref="Features"/> typed (throws <see cref="InvalidInputException"/> when it does not parse).</summary>
    [JsonIgnore]
    public FeatureSelection FeatureSelection => FeatureSelection.Parse(Features);

    /// <summary><see cref="Kernels"/> typed (throws <see cref="InvalidInputException"/> for an unknown name).</summary>
    [JsonIgnore]
    public Training.TrainingKernels TrainingKernels => Training.TrainingKernelNames.Parse(Kernels);

    /// <summary><see cref="TargetTransform"/> typed (throws <see cref="InvalidInputException"/> for an unknown name).</summary>
    [JsonIgnore]
    public Data.TargetTransform TargetTransformKind => TargetTransforms.Parse(TargetTransform);

    /// <summary>The data sources of the run, one experiment each (<see cref="DataSpec.Embedded"/> when Data is null);
    /// throws <see cref="InvalidInputException"/> when Data does not parse (<see cref="Problems"/> says so first).</summary>
    [JsonIgnore]
    public IReadOnlyList<DataSpec> Sources => sources.Specs ?? throw new InvalidInputException(sources.Error!);

    private static (IReadOnlyList<DataSpec>?, string?) ParseSources(string? data)
    {
        if (data is null) return ([DataSpec.Default], null);
        try
        {
            var specs = DataSpec.ParseList(data);
            return specs.FirstOrDefault(s => s is DataSpec.Blob { IsFolder: true }) is { } folder
                ? (null, $"'{folder}' is a folder, but a run reads one file (folders are for WATCHED_DATASETS)")
                : (specs, null);
        }
        catch (InvalidInputException e) { return (null, e.Message); }
    }

    /// <summary>The protocols the run evaluates (one experiment each per data source).</summary>
    [JsonIgnore]
    public IReadOnlyList<EvaluationProtocol> Protocols => EvaluationProtocol.Selected(Protocol);

    /// <summary>The protocol of one experiment (a part's settings name exactly one).</summary>
    [JsonIgnore]
    public EvaluationProtocol EvaluationProtocol => Protocols is [var one]
        ? one
        : throw new InvalidOperationException($"protocol '{Protocol}' names {Protocols.Count} protocols: an experiment has one");

    /// <summary>The sizes of the networks trained on <paramref name="dataset"/> (a sweep student: its own width).</summary>
    public Models.ModelShape ShapeFor(DatasetArtifact dataset, int? studentHidden = null) =>
        new(dataset.Features.Count, InputDays, OutputDays, StudentHidden: studentHidden ?? StudentHidden[0], StudentLayers: StudentLayers,
            LinearHead: WindowNormalization.LinearHead());

    /// <summary>The Adam learning rate of a kind's training jobs.</summary>
    public double LearningRate(Models.ModelKind kind) => kind switch
    {
        Models.ModelKind.Teacher => TeacherLr,
        Models.ModelKind.Student or Models.ModelKind.Fnn => StudentLr,
    };

    /// <summary>Throws <see cref="InvalidInputException"/> naming every invalid field.</summary>
    public ExperimentSettings Validated()
    {
        var problems = Problems();
        if (problems.Count > 0)
            throw new InvalidInputException("invalid settings: " + string.Join("; ", problems.Select(p => $"{p.Field} {p.Problem}")));
        return this;
    }
}

