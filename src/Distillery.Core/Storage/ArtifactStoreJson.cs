using System.Text.Json;

namespace Distillery.Storage;

public static class ArtifactStoreJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Task WriteJsonAsync<T>(this IArtifactStore store, string path, T value, CancellationToken ct = default) =>
        store.WriteAsync(path, JsonSerializer.SerializeToUtf8Bytes(value, Options), ct);

    public static async Task<T?> ReadJsonAsync<T>(this IArtifactStore store, string path, CancellationToken ct = default) where T : class
    {
        var bytes = await store.ReadAsync(path, ct);
        return bytes is null ? null : JsonSerializer.Deserialize<T>(bytes, Options);
    }
}
