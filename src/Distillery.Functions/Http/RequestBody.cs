using Microsoft.AspNetCore.Http;

namespace Distillery.Functions.Http;

public static class RequestBody
{
    /// <summary>Reads at most <paramref name="limit"/> bytes; a larger body is refused without reading the rest.</summary>
    public static async Task<(byte[] Body, bool TooLarge)> ReadAsync(HttpRequest request, long limit, CancellationToken ct)
    {
        if (request.ContentLength > limit) return ([], true);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit) return ([], true);
            buffer.Write(chunk, 0, read);
        }
        return (buffer.ToArray(), false);
    }
}
