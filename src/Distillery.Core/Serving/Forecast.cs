using System.Text.Json.Serialization;

namespace Distillery.Serving;

/// <summary>One forecast day: the date (yyyy-MM-dd) and the target in patients/day (the point forecast); when the model
/// has a calibration, also the median and the Forecast Hub's 23 quantiles (at <see cref="Forecast.QuantileLevels"/>).</summary>
public sealed record ForecastDay(string Date, double Value)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Median { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? Quantiles { get; init; }

    /// <summary>This day with the quantiles of <paramref name="forecast"/> (null: unchanged).</summary>
    public ForecastDay With(Scoring.QuantileForecast? forecast) =>
        forecast is null ? this : this with { Median = forecast.Median, Quantiles = forecast.Values };
}

/// <summary>
/// A served forecast. JSON (with <see cref="Storage.ArtifactStoreJson.Options"/>):
/// <c>{"model","runId","fold","forecast":[{"date","value","median","quantiles"}],"quantileLevels","skill"}</c>. The list is
/// named <see cref="Days"/> in C# because a member cannot share its record's name; its JSON name is <c>forecast</c>.
/// <see cref="Skill"/>: the model's measured skill against persistence on its run's held-out folds (null when its results
/// have none). Quantiles exist when the model was calibrated (its run had a validation block); otherwise neither they
/// nor the levels are written.
/// </summary>
public sealed record Forecast(string Model, string RunId, int Fold,
    [property: JsonPropertyName("forecast")] IReadOnlyList<ForecastDay> Days, Retraining.Skill? Skill = null)
{
    /// <summary>The levels of every day's <see cref="ForecastDay.Quantiles"/>, when there are any.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? QuantileLevels => Days.Any(d => d.Quantiles is not null) ? Scoring.QuantileLevels.Levels : null;
}

/// <summary>The run, its results or its model does not exist (or the run is not finished). Still bad input:
/// exit code 2 in the CLI; an API may answer 404.</summary>
public sealed class RunNotFoundException(string message) : InvalidInputException(message);
