using System.Reflection;
using System.Text.Json;
using Distillery.Data;
using Distillery.Experiments;
using Distillery.Storage;

namespace Distillery.Functions.Http;

/// <summary>
/// The JSON body of <c>POST /api/experiments</c>: every <see cref="ExperimentSettings"/> field (camelCase, all
/// optional, the study's defaults) plus <c>location</c> (a location key) and <c>runId</c>. Unknown fields are
/// rejected, not ignored: a misspelt option silently falling back to its default would run the wrong experiment.
/// </summary>
public static class ExperimentBody
{
    private static readonly Dictionary<string, PropertyInfo> SettingsFields = typeof(ExperimentSettings)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite)
        .ToDictionary(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name), StringComparer.Ordinal);

    public sealed record Parsed(ExperimentSettings Settings, string? RunId);

    /// <summary>Parses and validates; on failure returns every bad field with its reason.</summary>
    /// <param name="allowedHosts">Hosts an https data URL may name (DATA_URL_ALLOWLIST); checked here, before a run starts.</param>
    public static (Parsed? Value, Dictionary<string, string[]> Errors) Parse(ReadOnlySpan<byte> json, IReadOnlyCollection<string>? allowedHosts = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.Length == 0 ? "{}"u8.ToArray() : json.ToArray());
        }
        catch (JsonException e)
        {
            errors["body"] = [$"is not valid JSON: {e.Message}"];
            return (null, errors);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors["body"] = ["must be a JSON object"];
                return (null, errors);
            }
            var settings = new Dictionary<string, object?>();
            string? location = null, runId = null;
            foreach (var field in document.RootElement.EnumerateObject())
            {
                if (field.Name == "location") location = ReadString(field, errors);
                else if (field.Name == "runId") runId = ReadString(field, errors);
                else if (SettingsFields.TryGetValue(field.Name, out var property))
                {
                    try { settings[field.Name] = field.Value.Deserialize(property.PropertyType, ArtifactStoreJson.Options); }
                    catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
                    {
                        errors[field.Name] = [$"must be {Describe(property.PropertyType)}, got {field.Value.ValueKind.ToString().ToLowerInvariant()} {Truncate(field.Value.GetRawText())}"];
                    }
                }
                else errors[field.Name] = ["is not a known field"];
            }
            if (errors.Count > 0) return (null, errors);

            var parsed = document.RootElement.Deserialize<ExperimentSettings>(WithoutExtras)!;
            if (location is not null)
            {
                if (parsed.Data is not null) errors["location"] = ["give either location or data, not both"];
                else if (!DataSpec.IsLocationKey(location)) errors["location"] = [$"'{Truncate(location)}' is not a location key such as US_FL"];
                else parsed = parsed with { Data = new DataSpec.Location(location).ToString() };
            }
            if (location is null && parsed.Data is not null && DataProblem(parsed, allowedHosts) is { } dataProblem)
                errors["data"] = [dataProblem];
            if (runId is not null && !RunIds.IsValid(runId))
                errors["runId"] = ["must be 1–64 letters, digits, '-' or '_'"];
            // The check above names data problems in the API's terms; the settings' own come after it.
            foreach (var (field, problem) in parsed.Problems()) errors.TryAdd(field, [problem]);
            return errors.Count > 0 ? (null, errors) : (new Parsed(parsed, runId), errors);
        }
    }

    /// <summary>Over HTTP a data source is remote or in the app's storage, never a path on the server's disk; a URL
    /// must be https, without credentials, on a host of the allow-list.</summary>
    private static string? DataProblem(ExperimentSettings settings, IReadOnlyCollection<string>? allowedHosts)
    {
        const string Remote = "must be an https:// URL, location:KEY or blob:datasets/… (a clean path)";
        IReadOnlyList<DataSpec> sources;
        try { sources = settings.Sources; }
        catch (InvalidInputException e) { return $"{Remote}: {e.Message}"; }
        if (sources.FirstOrDefault(s => !s.IsRemote) is { } local) return $"{Remote}, not '{Truncate(local.ToString())}'";
        var rules = new DataSourceOptions { AllowedHosts = allowedHosts ?? new DataSourceOptions().AllowedHosts };
        foreach (var url in sources.OfType<DataSpec.Url>())
        {
            try { DataSource.CheckUrl(url.Text, rules); }
            catch (InvalidInputException e) { return e.Message; }
        }
        return null;
    }

    private static readonly JsonSerializerOptions WithoutExtras = new(ArtifactStoreJson.Options)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Skip,
    };

    private static string? ReadString(JsonProperty field, Dictionary<string, string[]> errors)
    {
        if (field.Value.ValueKind == JsonValueKind.String) return field.Value.GetString();
        errors[field.Name] = [$"must be a string, got {field.Value.ValueKind.ToString().ToLowerInvariant()}"];
        return null;
    }

    private static string Describe(Type type) => Type.GetTypeCode(Nullable.GetUnderlyingType(type) ?? type) switch
    {
        TypeCode.Int32 => "an integer",
        TypeCode.Int64 => "an integer",
        TypeCode.Double => "a number",
        TypeCode.String => "a string",
        _ => type.Name,
    };

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
