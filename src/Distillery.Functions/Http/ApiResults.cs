using System.Text.Json;
using Distillery.Storage;
using Microsoft.AspNetCore.Mvc;

namespace Distillery.Functions.Http;

/// <summary>Responses of the HTTP API: JSON bodies, and RFC 7807 problem documents for every error.</summary>
public static class ApiResults
{
    public const string ProblemJson = "application/problem+json";

    public static ContentResult Json(int status, object value) => new()
    {
        StatusCode = status,
        ContentType = "application/json; charset=utf-8",
        Content = JsonSerializer.Serialize(value, ArtifactStoreJson.Options),
    };

    public static ContentResult Problem(int status, string title, string detail, IReadOnlyDictionary<string, string[]>? errors = null) => new()
    {
        StatusCode = status,
        ContentType = ProblemJson,
        Content = JsonSerializer.Serialize(new ProblemBody(
            "about:blank", title, status, detail, errors), ArtifactStoreJson.Options),
    };

    public static ContentResult NotFound(string detail) => Problem(404, "Not found", detail);

    public static ContentResult BadRequest(string detail, IReadOnlyDictionary<string, string[]>? errors = null) =>
        Problem(400, "Invalid request", detail, errors);

    private sealed record ProblemBody(string Type, string Title, int Status, string Detail, IReadOnlyDictionary<string, string[]>? Errors);
}
