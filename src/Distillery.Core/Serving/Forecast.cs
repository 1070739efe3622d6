using System.Text.Json.Serialization;

namespace Distillery.Serving;

/// <summary>One forecast day: the date (yyyy-MM-dd) and the target in patients/day.</summary>
public sealed record ForecastDay(string Date, double Value);

/// <summary>
/// A served forecast. JSON (with <see cref="Storage.ArtifactStoreJson.Options"/>):
/// <c>{"model","runId","fold","forecast":[{"date","value"}],"skill"}</c>. The list is named <see cref="Days"/> in C#
/// because a member cannot share its record's name; its JSON name is <c>forecast</c>. <see cref="Skill"/>: the model's
/// measured skill against persistence on its run's held-out folds (null when its results have none).
/// </summary>
public sealed record Forecast(string Model, string RunId, int Fold,
    [property: JsonPropertyName("forecast")] IReadOnlyList<ForecastDay> Days, Retraining.Skill? Skill = null);

/// <summary>The run, its results or its model does not exist (or the run is not finished). Still bad input:
/// exit code 2 in the CLI; an API may answer 404.</summary>
public sealed class RunNotFoundException(string message) : InvalidInputException(message);
